"""Read-only SQLite connections keep a bounded page cache (store/sqlite.py): there are as
many of them as concurrent reads, and each kept 2 MB after one scan."""

from __future__ import annotations

from pathlib import Path

from poolmail.store import open_database
from poolmail.store.sqlite import READER_CACHE_KIB


def test_readers_keep_a_small_page_cache_and_the_writer_the_default(tmp_path: Path) -> None:
    db = open_database(data_dir=str(tmp_path))
    try:
        with db.transaction(readonly=True) as tx:
            reader = tx.fetchone("PRAGMA cache_size")
        with db.transaction() as tx:
            writer = tx.fetchone("PRAGMA cache_size")
    finally:
        db.close()
    assert reader is not None and reader[0] == -READER_CACHE_KIB
    assert writer is not None and writer[0] == -2000
