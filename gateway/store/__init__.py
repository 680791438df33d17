"""The gateway's memory: messages verbatim, their findings and keys, lifecycle, audit chain, keys, outbox."""
