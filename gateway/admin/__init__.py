"""The admin console: server-rendered pages under /admin over the store, the lifecycle and the outbox."""
