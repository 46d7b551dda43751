"""Print the score of the last `mutmut run` (make mutation) per module and in all, and every
mutant the tests let live, as its one-line change. Exits 1 below --min-score.

The score counts a mutant as caught when a test failed (killed) or the tests ran past their time
(timeout); survivors and mutants no test reaches count against it. Reads mutmut's results under
mutants/ (run from the project root).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

CAUGHT = {"killed", "timeout"}


def status_of(code):
    from mutmut.stats import status_by_exit_code

    return status_by_exit_code[code]


def changed_lines(mutant: str, path: Path) -> str:
    """The mutant as ``- original / + mutated`` lines (mutmut's own diff, without its headers)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    diff = get_diff_for_mutant(mutant, path=path).splitlines()
    lines = [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return "\n".join(f"      {line.rstrip()}" for line in lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-score", type=float, default=0.0, help="exit 1 below this percentage")
    args = parser.parse_args()

    metas = sorted(Path("mutants").rglob("*.py.meta"))
    if not metas:
        print("no mutmut results under mutants/: run `make mutation`", file=sys.stderr)
        return 2
    totals: Counter = Counter()
    survivors: list[tuple[str, Path, str]] = []
    print(f"{'module':45} {'mutants':>7} {'caught':>7} {'score':>7}")
    for meta in metas:
        source = Path(str(meta.relative_to("mutants"))[: -len(".meta")])
        results = json.loads(meta.read_text())["exit_code_by_key"]
        statuses = Counter(status_of(code) for code in results.values())
        statuses.pop("not checked", None)
        checked = sum(statuses.values())
        if not checked:
            continue
        caught = sum(statuses[s] for s in CAUGHT)
        totals.update(statuses)
        print(f"{str(source):45} {checked:7d} {caught:7d} {100 * caught / checked:6.1f}%")
        survivors += [(name, source, status_of(code)) for name, code in sorted(results.items())
                      if status_of(code) not in CAUGHT | {"not checked"}]

    checked = sum(totals.values())
    caught = sum(totals[s] for s in CAUGHT)
    score = 100 * caught / checked if checked else 0.0
    print(f"\n{len(survivors)} mutants not caught:")
    for name, source, status in survivors:
        print(f"  {name} ({status})\n{changed_lines(name, source)}")
    print(f"\n{', '.join(f'{n} {s}' for s, n in totals.most_common())}")
    print(f"mutation score: {score:.1f}% ({caught} of {checked} mutants caught)")
    if score < args.min_score:
        print(f"below the required {args.min_score:g}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
