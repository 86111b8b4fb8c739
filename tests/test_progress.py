"""Progress of long commands: a bar on a terminal, plain lines in a log, nothing when quiet."""

import io

from convertedin_feed.tools.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_on_a_terminal_it_draws_a_bar_with_rate_and_time_left():
    stream = Terminal()
    with Progress(stream, "orders", total=200) as progress:
        for _ in range(4):
            progress.update(50)
    drawn = stream.getvalue()
    assert "\r" in drawn  # redrawn in place
    assert "orders: 100%" in drawn
    assert "200/200" in drawn
    assert "records/s" in drawn  # the rate
    assert "<" in drawn  # elapsed<remaining


def test_off_a_terminal_it_writes_plain_lines_a_log_can_read():
    stream = io.StringIO()
    progress = Progress(stream, "orders", total=200, every=0)
    progress.update(50)
    progress.update(150)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("orders: 50 of 200 records, ")
    assert lines[-1].startswith("orders: 200 of 200 records, ")
    assert all(line.endswith(" s") and "/s, " in line for line in lines)
    assert "\r" not in stream.getvalue()


def test_a_total_learnt_later_is_shown():
    stream = io.StringIO()
    progress = Progress(stream, "customers")
    progress.set_total(30)
    progress.update(30)
    progress.close()
    assert stream.getvalue().startswith("customers: 30 of 30 records, ")


def test_quiet_writes_nothing_anywhere():
    for stream in (io.StringIO(), Terminal()):
        with Progress(stream, "orders", total=10, quiet=True, every=0) as progress:
            progress.update(10)
        assert stream.getvalue() == ""
