"""Print a small report and exit: `python3 -m reports`."""
import platform
import statistics
import sys

ORDERS = {"mon": 12, "tue": 9, "wed": 15, "thu": 11, "fri": 20}


def main() -> None:
    print(f"hello from reports on {platform.system().lower()}/{platform.machine()} "
          f"(python {sys.version_info.major}.{sys.version_info.minor})")
    for day, n in ORDERS.items():
        print(f"  {day} {'#' * n} {n}")
    print(f"  mean {statistics.mean(ORDERS.values()):.1f} orders/day")


if __name__ == "__main__":
    main()
