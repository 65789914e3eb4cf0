#!/usr/bin/env python3
"""List the meetings in an .ics file as an independent calendar library sees them.

Usage: ics_occurrences.py FILE FROM TO     (FROM and TO in UTC, e.g. 2025-01-01T00:00:00Z)

Parses FILE with the `icalendar` package and expands it with `recurring-ical-events` (the
versions pinned in requirements.txt), keeps the occurrences that *start* in [FROM, TO), and
prints JSON on stdout:

    {"versions": {...},
     "by_zone_name": [[UID, START_UTC, END_UTC], ...],
     "by_vtimezone": [[UID, START_UTC, END_UTC], ...]}

`by_zone_name` is what most programs do: a TZID such as Europe/Madrid is looked up in the
system's tz database (Python's zoneinfo). `by_vtimezone` reads the same file with every TZID
renamed to a name no database knows, so the times can only come from the file's own VTIMEZONE
components: it checks that those components are right. Both lists are sorted; times are
written as YYYY-MM-DDTHH:MM:SSZ.
"""

import json
import re
import sys
from datetime import datetime, timezone
from importlib.metadata import version

import icalendar
import recurring_ical_events

UNKNOWN_ZONE_PREFIX = "Mutua-VTIMEZONE-check-"


def parse_utc(text):
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise SystemExit(f"{text!r} has no time zone: write it in UTC, ending in Z")
    return moment.astimezone(timezone.utc)


def utc_text(moment):
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise SystemExit(f"expected a date-time with a time zone, got {moment!r}")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def occurrences(ics_text, start, stop):
    calendar = icalendar.Calendar.from_ical(ics_text)
    found = []
    for event in recurring_ical_events.of(calendar).between(start, stop):
        begins = event["DTSTART"].dt
        # `between` also returns meetings that started before FROM and still run at FROM.
        if not start <= begins < stop:
            continue
        found.append([str(event["UID"]), utc_text(begins), utc_text(event["DTEND"].dt)])
    return sorted(found)


def with_unknown_zone_names(ics_text):
    # Unfold first (RFC 5545 3.1) so a TZID split across lines is still found.
    unfolded = re.sub(r"\r?\n[ \t]", "", ics_text)
    unfolded = re.sub(r";TZID=([^:;]+)", lambda m: f";TZID={UNKNOWN_ZONE_PREFIX}{m[1]}", unfolded)
    return re.sub(
        r"^TZID:(.*)$",
        lambda m: f"TZID:{UNKNOWN_ZONE_PREFIX}{m[1]}",
        unfolded,
        flags=re.MULTILINE,
    )


def main(argv):
    if len(argv) != 4:
        raise SystemExit(__doc__)
    with open(argv[1], encoding="utf-8", newline="") as file:
        ics_text = file.read()
    start, stop = parse_utc(argv[2]), parse_utc(argv[3])
    result = {
        "versions": {
            "icalendar": version("icalendar"),
            "recurring_ical_events": version("recurring-ical-events"),
        },
        "by_zone_name": occurrences(ics_text, start, stop),
        "by_vtimezone": occurrences(with_unknown_zone_names(ics_text), start, stop),
    }
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
