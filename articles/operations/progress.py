"""Progress on the long commands a person runs (import, backup, restore, generate_articles):
tqdm's bar, with counts, a rate and the time left, on a terminal; nothing at all when the
output goes to a file, a pipe or cron's mail."""

from tqdm import tqdm


def progress_bar(stream, *, total: int, unit: str, description: str = "") -> tqdm:
    # A command's stderr is an OutputWrapper, which ends every write with a new line: the
    # bar redraws itself on one line, so it writes to the stream underneath.
    out = getattr(stream, "_out", stream)
    return tqdm(
        total=total,
        desc=description,
        unit=f" {unit}",
        file=out,
        disable=not out.isatty(),
        mininterval=0.5,
        dynamic_ncols=True,
    )


def no_progress(*, total: int, unit: str, description: str = "") -> tqdm:
    """The bar a function shows when no command asked for one: none."""
    return tqdm(total=total, disable=True)
