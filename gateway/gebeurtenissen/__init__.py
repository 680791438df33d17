"""Events a back-office may be told of (webhooks, `GET /api/v1/gebeurtenissen`): recorded in the transaction
that makes them true, so an event exists exactly when what it reports was committed."""
