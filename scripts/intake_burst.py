#!/usr/bin/env python3
"""A burst of ticket intakes at a running tripdesk node, all sent at the same moment.

    python3 scripts/intake_burst.py http://127.0.0.1:8080 --requests 400 --callers 8

Signs in as the demo agent li.na (start the node with `tripdesk demo`), then sends
--requests `POST /api/v1/tickets` at once (one thread and connection each), spread over
--callers phone numbers. By default the callers are new at the start of the burst, so the
first intakes create their customer records while the others find them (the mix that
deadlocked on PostgreSQL, issue 11); --existing creates them first. Prints the answers by
status with the slowest of each. Standard library only.
"""
import argparse
import collections
import json
import threading
import time
import urllib.error
import urllib.request
import uuid


def post(base, path, body, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST", headers=headers)
    started = time.time()
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status, r.read().decode(), time.time() - started
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), time.time() - started
    except OSError as e:  # refused or reset: counted as status 0
        return 0, f"connection error: {e}", time.time() - started


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", help="the node, e.g. http://127.0.0.1:8080")
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--callers", type=int, default=8)
    ap.add_argument("--existing", action="store_true", help="create the callers' records first")
    ap.add_argument("--password", default="tripdesk-demo")
    a = ap.parse_args()
    status, body, _ = post(a.base, "/api/v1/auth/login", {"username": "li.na", "password": a.password})
    if status != 200:
        raise SystemExit(f"signing in as li.na answered {status}: {body}")
    token = json.loads(body)["token"]
    # Fresh numbers on every run: 137 + 8 random digits.
    phones = ["137%08d" % (uuid.uuid4().int % 10**8) for _ in range(a.callers)]
    if a.existing:
        for i, phone in enumerate(phones):
            status, body, _ = post(a.base, "/api/v1/customers", {"name": f"回头客{i}", "phone": phone}, token)
            if status != 201:
                raise SystemExit(f"creating a customer answered {status}: {body}")
    results = [None] * a.requests
    barrier = threading.Barrier(a.requests)

    def one(i):
        body = {
            "kind": ["complaint", "inquiry", "feedback"][i % 3],
            "channel": ["email", "phone", "web_form", "chat"][i % 4],
            "level": "important" if i % 10 == 0 else "general",
            "subject": f"第 {i} 次来电：行程与合同不一致",
            "description": "客人反映导游擅自更改行程，要求说明原因。",
            "customer": {"name": f"回头客{i % a.callers}", "phone": phones[i % a.callers]},
        }
        barrier.wait()
        results[i] = post(a.base, "/api/v1/tickets", body, token)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(a.requests)]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.time() - started
    by = collections.Counter(r[0] for r in results)
    kind = "existing" if a.existing else "new"
    print(f"{a.requests} intakes at once over {a.callers} {kind} callers: "
          f"{', '.join(f'{n}× {s}' for s, n in sorted(by.items()))} in {wall:.1f} s")
    for s in sorted(by):
        times = sorted(r[2] for r in results if r[0] == s)
        example = next(r[1] for r in results if r[0] == s)
        print(f"  {s}: slowest {times[-1]:.1f} s, median {times[len(times) // 2]:.1f} s; e.g. {example[:120]}")


if __name__ == "__main__":
    main()
