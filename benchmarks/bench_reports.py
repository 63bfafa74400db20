"""Render time of the PDF reports: a park's profile, the comparison of all parks, and a match
report (summary and a page per park), each in Chinese and English, through the app's test
client (rendering only: no HTTP server, no network). Prints the median and the slowest of
``--repeat`` renders per report, after one warm-up render (font registration, caches).

    .venv/bin/python -m benchmarks.bench_reports --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import time

from web import create_app

REPORTS = {
    "profile": "/parks/park-jiaozhou-bay-north.pdf?lang={lang}",
    "comparison": "/parks.pdf?lang={lang}",
    "match": "/api/match?industry=semiconductor,%E6%B5%B7%E6%B4%8B%E7%94%9F%E7%89%A9%E5%8C%BB%E8%8D%AF"
             "&km=10&f=pdf&lang={lang}&w-area=0.{n}",
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_reports", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="renders per report (default 5)")
    args = parser.parse_args()
    client = create_app({"TESTING": True}).test_client()
    print("| report | lang | pages | bytes | median s | max s |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, path in REPORTS.items():
        for lang in ("zh", "en"):
            times, size = [], 0
            for n in range(args.repeat + 1):
                url = path.format(lang=lang, n=n)  # a new match each time: nothing cached
                start = time.perf_counter()
                resp = client.get(url)
                elapsed = time.perf_counter() - start
                assert resp.status_code == 200 and resp.mimetype == "application/pdf", url
                size = len(resp.data)
                if n:
                    times.append(elapsed)
            pages = resp.data.count(b"/Type /Page\n") or resp.data.count(b"/Type /Page ")
            print(f"| {name} | {lang} | {pages} | {size:,} | {statistics.median(times):.2f} | "
                  f"{max(times):.2f} |")


if __name__ == "__main__":
    main()
