"""Moving envelopes between parties: StUF-GGk and VECOZO envelopes, adapters, the outbox and the inbox."""
