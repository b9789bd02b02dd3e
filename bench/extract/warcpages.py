"""Reads the HTML payloads of a WARC's response records (stdlib only), for
the quality comparison: {WARC-Record-ID: payload bytes}.  Handles one gzip
member per record or plain WARCs; chunked bodies are not undone (the
Common Crawl sample stores bodies decoded)."""
import gzip
import re


def warc_html_pages(path):
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    pages, pos = {}, 0
    while True:
        m = re.compile(rb"WARC/1\.[01]\r\n(.*?)\r\n\r\n", re.S).search(data, pos)
        if not m:
            break
        head = m.group(1).decode("utf-8", "replace")
        length = int(re.search(r"Content-Length:\s*(\d+)", head, re.I).group(1))
        block = data[m.end():m.end() + length]
        pos = m.end() + length
        if re.search(r"WARC-Type:\s*response", head):
            rid = re.search(r"WARC-Record-ID:\s*(\S+)", head).group(1)
            parts = block.split(b"\r\n\r\n", 1)
            pages[rid] = parts[1] if len(parts) == 2 else b""
    return pages
