import json
import subprocess
import sys

from platforms import OPEN_FILES_BLOCK_RENAMES

WORKERS = 4
ROUNDS = 50

# Every party touches a file in the barrier folder, then waits until all have, so that the
# workers really run at once instead of one after another as Python starts up.
BARRIER = """
import sys, time
from pathlib import Path

def meet(barrier, me, parties):
    (barrier / me).touch()
    while len(list(barrier.iterdir())) < parties:
        time.sleep(0.001)
"""

WORKER = (
    BARRIER
    + """
from resilience_cli.state import JsonFileStore

state, barrier, me, parties, rounds = sys.argv[1:]
store = JsonFileStore(Path(state), lock_timeout=30)
meet(Path(barrier), me, int(parties))
for _ in range(int(rounds)):
    with store.transaction() as transaction:
        snapshot = transaction.snapshot or {"count": 0, "by_worker": {}}
        by_worker = dict(snapshot["by_worker"])
        by_worker[me] = by_worker.get(me, 0) + 1
        transaction.replace({"count": snapshot["count"] + 1, "by_worker": by_worker})
"""
)

# Reads the raw file without any lock, as `resilience state` does, until told to stop.
READER = (
    BARRIER
    + """
import json

state, barrier, parties, stop = sys.argv[1:]
state, stop = Path(state), Path(stop)
meet(Path(barrier), "reader", int(parties))
reads, last = 0, 0
while True:
    stopping = stop.exists()
    try:
        data = state.read_bytes()
    except FileNotFoundError:
        data = None
    if data is not None:
        document = json.loads(data)  # a torn or half-written file fails right here
        assert document["kind"] == "resilience-cli/breaker-state", document
        count = document["breaker"]["count"]
        assert count >= last, f"count went back from {last} to {count}"
        reads, last = reads + 1, count
    if stopping:
        break
print(json.dumps({"reads": reads, "last": last}))
"""
)


def run(script, *args):
    """Start `script` in a fresh Python, its output captured."""
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@OPEN_FILES_BLOCK_RENAMES
def test_concurrent_processes_lose_no_update_and_readers_never_see_a_torn_file(tmp_path):
    """Four processes x 50 locked increments end at exactly 200; a lock-free reader parses all."""
    state = tmp_path / "state" / "breaker.json"
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    stop = tmp_path / "stop"
    parties = WORKERS + 1
    reader = run(READER, state, barrier, parties, stop)
    workers = [run(WORKER, state, barrier, f"w{i}", parties, ROUNDS) for i in range(WORKERS)]
    try:
        for worker in workers:
            _, err = worker.communicate(timeout=60)
            assert worker.returncode == 0, err
        stop.touch()
        out, err = reader.communicate(timeout=60)
        assert reader.returncode == 0, err
    finally:
        for process in [*workers, reader]:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=30)

    document = json.loads(state.read_text(encoding="utf-8"))
    assert document["breaker"] == {
        "count": WORKERS * ROUNDS,
        "by_worker": {f"w{i}": ROUNDS for i in range(WORKERS)},
    }
    seen = json.loads(out)
    assert seen["last"] == WORKERS * ROUNDS
    assert seen["reads"] > 0
    assert sorted(path.name for path in state.parent.iterdir()) == [
        "breaker.json",
        "breaker.json.lock",
    ]
