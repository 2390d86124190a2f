"""The browser tests' screenshots on one page: ``test-artifacts/index.html`` lists every
PNG under ``test-artifacts/``, folder by folder, each linked and shown small. ``.ci/run``
writes it at the end of every run, passed or failed, and prints where the screenshots
are and how many, for CI to keep the folder as the run's artifacts.

``python3 -m tests.artifacts [FOLDER]`` (standard library only: it runs before and
without the project's environment)."""

from __future__ import annotations

import sys
from html import escape
from pathlib import Path
from urllib.parse import quote

FOLDER = Path(__file__).resolve().parents[1] / "test-artifacts"
PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Screenshots of the browser tests</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body {{ font-family: sans-serif; margin: 1rem 2rem; }}
ul {{ list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1rem; }}
li {{ width: 14rem; }} img {{ width: 100%; height: 10rem; object-fit: cover;
object-position: top; border: 1px solid #5b6472; }}</style></head>
<body><main><h1>Screenshots of the browser tests</h1>
<p>{count} screenshots. In the accessibility sweep (a11y/) each name is who was signed in,
the screen's width in pixels, then the page.</p>
{sections}</main></body></html>
"""


def screenshots(folder: Path) -> list[Path]:
    """Every PNG under ``folder``, by folder then name."""
    return sorted(folder.rglob("*.png"), key=lambda p: (p.parent != folder,
                                                        p.relative_to(folder).parts))


def write_index(folder: Path = FOLDER) -> tuple[Path, int]:
    """Write ``folder/index.html``; returns its path and the number of screenshots."""
    shots = screenshots(folder) if folder.is_dir() else []
    groups: dict[str, list[Path]] = {}
    for shot in shots:
        groups.setdefault(shot.parent.relative_to(folder).as_posix(), []).append(shot)
    sections = []
    for name, items in groups.items():
        title = "Browser tests" if name == "." else f"{name}/"
        rows = "".join(
            f'<li><a href="{escape(quote(p.relative_to(folder).as_posix()))}">'
            f'<img src="{escape(quote(p.relative_to(folder).as_posix()))}" alt="" '
            f'loading="lazy">{escape(p.name)}</a></li>' for p in items)
        sections.append(f"<h2>{escape(title)} ({len(items)})</h2><ul>{rows}</ul>")
    folder.mkdir(parents=True, exist_ok=True)
    index = folder / "index.html"
    index.write_text(PAGE.format(count=len(shots), sections="\n".join(sections)),
                     encoding="utf-8")
    return index, len(shots)


def main(argv: list[str]) -> int:
    folder = Path(argv[0]).resolve() if argv else FOLDER
    index, count = write_index(folder)
    by_folder: dict[str, int] = {}
    for shot in screenshots(folder):
        key = shot.parent.relative_to(folder).as_posix()
        by_folder[key] = by_folder.get(key, 0) + 1
    parts = ", ".join(f"{n} in {k}/" for k, n in by_folder.items())
    print(f"== screenshots: {count} in {folder}/ ({parts or 'none'}); index: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
