#!/usr/bin/env python3
"""Builds docs/notebook.ipynb from docs/notebook.py ("# %%" cells, "# %% [markdown]" text)
and optionally executes it headless with nbclient.

    python3 python/tools/notebook.py docs/notebook.py -o docs/notebook.ipynb [--execute]
"""

import argparse
import re
import sys

import nbformat


def build(source):
    """The notebook of a "percent" script: cells split at "# %%" lines; markdown cells have
    their "# " prefixes removed; "# %matplotlib" lines become magics again."""
    cells = []
    for block in re.split(r"^# %%", source, flags=re.M)[1:]:
        header, _, body = block.partition("\n")
        body = body.strip("\n")
        if header.strip() == "[markdown]":
            text = "\n".join(re.sub(r"^# ?", "", line) for line in body.splitlines())
            cells.append(nbformat.v4.new_markdown_cell(text))
        else:
            code = re.sub(r"^# (%matplotlib)", r"\1", body, flags=re.M)
            cells.append(nbformat.v4.new_code_cell(code))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def execute(nb, timeout=600):
    from nbclient import NotebookClient
    NotebookClient(nb, timeout=timeout, kernel_name="python3").execute()
    return nb


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("source")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--execute", action="store_true")
    args = p.parse_args()
    with open(args.source) as f:
        nb = build(f.read())
    if args.execute:
        execute(nb)
    nbformat.write(nb, args.output)


if __name__ == "__main__":
    sys.exit(main())
