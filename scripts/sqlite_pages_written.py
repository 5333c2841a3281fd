#!/usr/bin/env python3
"""Which b-trees of a tripdesk SQLite file a run wrote to (issue 19's growth analysis).

  pages BEFORE.db AFTER.db   pages that differ between two checkpointed copies, by b-tree
  wal   DB.db WAL-COPY       frames and commits in a copy of a WAL, by b-tree

Each page's b-tree is read from SQLite's `dbstat` table of the (after) database.
"""
import collections
import sqlite3
import struct
import sys


def owners(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    return {p: n for n, p in con.execute("SELECT name, pageno FROM dbstat")}, \
        con.execute("PRAGMA page_size").fetchone()[0]


def pages(before, after):
    owner, size = owners(after)
    changed, appended = collections.Counter(), collections.Counter()
    with open(before, "rb") as fa, open(after, "rb") as fb:
        n = 0
        while page := fb.read(size):
            n += 1
            old = fa.read(size)
            if old != page:
                (changed if len(old) == size else appended)[owner.get(n, "?")] += 1
    print("pages changed", sum(changed.values()), "appended", sum(appended.values()))
    for name, v in (changed + appended).most_common(40):
        print(f"{v:8d} {changed[name]:8d} {appended[name]:8d}  {name}")


def wal(db, wal_copy):
    owner, _ = owners(db)
    data = open(wal_copy, "rb").read()
    size, salt = struct.unpack(">I", data[8:12])[0], data[16:24]
    frames, commits, by = 0, 0, collections.Counter()
    off = 32
    while off + 24 + size <= len(data) and data[off + 8:off + 16] == salt:
        page, commit = struct.unpack(">II", data[off:off + 8])
        frames, commits = frames + 1, commits + (commit != 0)
        by[owner.get(page, "?")] += 1
        off += 24 + size
    print("frames", frames, "commits", commits)
    for name, v in by.most_common(15):
        print(f"{v:8d}  {name}")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("pages", "wal"):
        sys.exit(__doc__)
    (pages if sys.argv[1] == "pages" else wal)(sys.argv[2], sys.argv[3])
