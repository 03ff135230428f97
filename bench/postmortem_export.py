"""Publishing a postmortem: rendering its Markdown, HTML and PDF exports, the work a publish does besides the database.

    .venv/bin/python -m bench.postmortem_export [--events 50] [--repeat 20]

A generated-size postmortem (the built-in sections, a timeline of --events key events, prose) is rendered
--repeat times; prints latency per format and the files' sizes.
"""

from __future__ import annotations

import argparse
import time

from bench.harness import machine, summary
from warroom.postmortems import render


def body(events: int) -> str:
    timeline = "\n".join(f"- 2026-01-05 {9 + n // 60:02d}:{n % 60:02d} UTC — Event {n}: shard {n % 7} at "
                         f"{80 + n % 20}% disk, rolled back “indexer” → 4.{n % 9} (@bob)" for n in range(events))
    prose = ("Search returned errors for customers in two regions while an index shard filled its disk. " * 6)
    return (f"# Postmortem INC-42: Search is down\n\n## Summary\n\n{prose}\n\n## Impact\n\n- Severity: critical\n"
            f"- Duration: 1 h 40 min\n\n## Timeline\n\n{timeline}\n\n## What went badly\n\n- Paging was slow\n\n"
            f"## Lessons\n\n- Alert on disk usage\n\n| metric | value |\n|---|---|\n| errors | 12% |\n\n"
            "```\nkubectl rollout undo deploy/indexer\n```\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    markdown = body(args.events)
    timings: dict[str, list[float]] = {"html": [], "pdf": []}
    sizes: dict[str, int] = {}
    for _ in range(args.repeat):
        start = time.perf_counter()
        page = render.html_page(title="INC-42: Search is down", markdown=markdown, footer="Published")
        timings["html"].append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        pdf = render.pdf_bytes(title="INC-42: Search is down", markdown=markdown, footer="Published")
        timings["pdf"].append((time.perf_counter() - start) * 1000)
        sizes = {"md": len(markdown.encode()), "html": len(page.encode()), "pdf": len(pdf)}
    print(machine())
    print(f"postmortem of {args.events} key events, {sizes}")
    for kind, values in timings.items():
        print(f"{kind}: {summary(values)}")


if __name__ == "__main__":
    main()
