"""The durable alert outbox, in three modules with one job each:

schema    the `alerts` and `channel_state` tables, and how a row reads (alerts list)
enqueue   alert rows written in the transaction that records the event (dedup by key)
delivery  due rows claimed, sent through their channel and settled (leases, retries,
          rate limits, digests), and test alerts

check -> audit transaction -> enqueue: `alerts` rows -> commit
deliver_due(log, specs, clock) -> due rows -> alerts/ channel.send -> delivered | retry |
    dead | disabled
"""
