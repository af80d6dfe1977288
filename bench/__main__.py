"""``make bench``: speed figures, one ``figure <name> <value> <unit>`` line each.

Only the calendar figure exists so far; the intake, sync, SLA and report figures come with
the benchmark issue.
"""

from __future__ import annotations

from shared.calendar.bench import due_calc_per_second


def main() -> int:
    rate = due_calc_per_second(1.0)
    print(f"{'figure':<24}{'value':>14}  unit")
    print(f"{'due_calc_per_s':<24}{rate:>14,.0f}  deadlines/s")
    print(f"figure due_calc_per_s {rate:.0f} per_s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
