"""Crawl leaf: sources yield candidates, the fetcher fetches them politely, extract reads them.

Modules: `urls` (canonical URLs), `dedupe` (content hash, SimHash), `fetch` (Fetcher, a
chain of small steps), `extract` (text and metadata), `sources` (registered source kinds).
Nothing here imports the hub; what the crawl needs from it (SSRF guard, clock, settings)
is passed in.
"""
