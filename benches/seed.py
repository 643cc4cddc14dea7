"""Seeds one incident of N notes through warroom's API, 1000 a request, for the bench
scripts: python3 benches/seed.py URL TOKEN N TITLE. Prints the incident's id and its
newest seq."""
import json
import os
import sys
import time
import urllib.request

base, token, n, title = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]


def uuid7():
    ms = int(time.time() * 1000)
    b = bytearray(ms.to_bytes(6, "big") + os.urandom(10))
    b[6] = 0x70 | (b[6] & 0x0F)
    b[8] = 0x80 | (b[8] & 0x3F)
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


incident = uuid7()
post("/api/v1/incidents", {"id": incident, "title": title, "severity": 2,
                           "summary": "a long incident"})
last = 1
texts = ["checkout p99 latency back under 300 ms on pay-3",
         "rolled back payments-api to 2026.11.25-2 on the canary hosts; watching error rates",
         "db replica lag 4s",
         "customer reports via support: card declines at checkout, wallets fine, EU only so far"]
for start in range(0, n, 1000):
    batch = [{"id": uuid7(), "type": "note",
              "text": f"{texts[i % len(texts)]} ({i})"}
             for i in range(start, min(n, start + 1000))]
    acc = post(f"/api/v1/incidents/{incident}/events", {"events": batch})["accepted"]
    last = max(last, max(a["seq"] for a in acc))
print(incident, last)
