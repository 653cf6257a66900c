"""A bad CSV gets a DataError naming the file, the exact line (as an editor counts) and the
problem; nothing is returned and nothing on disk changes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scalpbot.data import FORMATS, load_bars
from scalpbot.domain import ConfigError, DataError

HEADER = "datetime,open,high,low,close,volume\n"
GOOD = [
    "2024-01-01T09:15:00,100,101,99,100.5,10\n",
    "2024-01-01T09:16:00,100.5,102,100,101,20\n",
    "2024-01-01T09:17:00,101,103,100.5,102,30\n",
    "2024-01-01T09:18:00,102,104,101,103,40\n",
]


def write(tmp_path: Path, text: str, name: str = "bad.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def fails(path: Path, *patterns: str) -> str:
    """Load `path`, expecting a DataError whose message matches every pattern; return it."""
    before = path.read_bytes()
    with pytest.raises(DataError) as caught:
        load_bars(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    for pattern in patterns:
        assert re.search(pattern, message), f"{pattern!r} not in {message!r}"
    assert path.read_bytes() == before
    return message


def with_line(tmp_path: Path, index: int, bad: str) -> Path:
    """A good file whose data row `index` (0-based; file line index + 2) is replaced."""
    rows = list(GOOD)
    rows[index] = bad
    return write(tmp_path, HEADER + "".join(rows))


@pytest.mark.parametrize(
    ("bad", "patterns"),
    [
        ("2024-01-01T09:17:00,101,103,abc,102,30\n", [r"line 4: low: unparseable number 'abc'"]),
        ("2024-01-01T09:17:00,101,103,1_00,102,30\n", [r"line 4: low: unparseable number"]),
        ("2024-01-01T09:17:00,101,103,,102,30\n", [r"line 4: low: missing value"]),
        ("2024-01-01T09:17:00,101,103,NA,102,30\n", [r"line 4: low: missing value \('NA'\)"]),
        ("2024-13-01T09:17:00,101,103,100.5,102,30\n", [r"line 4: unparseable date '2024-13"]),
        ("01/01/2024 09:17,101,103,100.5,102,30\n", [r"line 4: unparseable date"]),
        ("2024-01-01T09:61:00,101,103,100.5,102,30\n", [r"line 4: unparseable date"]),
        ("2024-01-01T09:17:00,101,103,100.5,102\n", [r"line 4: missing field\(s\) 'volume'"]),
        ("2024-01-01T09:17:00,101,103\n", [r"line 4: missing field\(s\) 'low', 'close'"]),
        ("2024-01-01T09:17:00,101,103,100.5,102,30,7\n", [r"line 4: too many fields: 7"]),
        ("2024-01-01T09:17:00,101,100,100.5,100.6,30\n", [r"line 4: high 100.0 is below low"]),
        (
            "2024-01-01T09:17:00,101,102,100.5,103,30\n",
            [r"line 4: high 102.0 is below max\(open, close\) = 103.0"],
        ),
        (
            "2024-01-01T09:17:00,101,103,101.5,102,30\n",
            [r"line 4: low 101.5 is above min\(open, close\) = 101.0"],
        ),
        ("2024-01-01T09:17:00,101,103,100.5,102,-1\n", [r"line 4: volume -1.0 is negative"]),
        ("2024-01-01T09:17:00,101,103,100.5,nan,30\n", [r"line 4: close is NaN"]),
        ("2024-01-01T09:17:00,NaN,103,100.5,102,30\n", [r"line 4: open is NaN"]),
        ("2024-01-01T09:17:00,101,inf,100.5,102,30\n", [r"line 4: high is infinite"]),
        (
            "2024-01-01T09:16:00,101,103,100.5,102,30\n",
            [r"line 4: duplicate timestamp 2024-01-01T09:16:00\+05:30, the same as line 3"],
        ),
        (
            "2024-01-01T09:14:00,101,103,100.5,102,30\n",
            [
                r"line 4: timestamp 2024-01-01T09:14:00\+05:30 is out of order, earlier than "
                r"2024-01-01T09:16:00\+05:30 on line 3"
            ],
        ),
        ("2024-01-01T09:17:00,101,103,100.5,1.0.2,30\n", [r"line 4: close: unparseable number"]),
        ("9999-01-01T09:17:00,101,103,100.5,102,30\n", [r"line 4: unparseable date.*range"]),
    ],
)
def test_bad_row_names_its_line(tmp_path: Path, bad: str, patterns: list[str]) -> None:
    fails(with_line(tmp_path, 2, bad), *patterns)


def test_blank_and_crlf_lines_are_counted(tmp_path: Path) -> None:
    text = HEADER + "\n" + GOOD[0] + "\n\n" + GOOD[1] + "2024-01-01T09:17:00,1,0,1,1,1\n"
    fails(write(tmp_path, text), r"line 7: high 0.0 is below low 1.0")
    fails(write(tmp_path, text.replace("\n", "\r\n")), r"line 7: high 0.0")


def test_the_first_bad_line_wins_whatever_the_kind(tmp_path: Path) -> None:
    # A rule broken on line 3 precedes a parse error on line 5, and the other way round.
    rows = list(GOOD)
    rows[1] = "2024-01-01T09:16:00,100.5,99,100,101,20\n"
    rows[3] = "2024-01-01T09:18:00,102,104,oops,103,40\n"
    fails(write(tmp_path, HEADER + "".join(rows)), r"line 3: high 99.0 is below low 100.0")
    rows = list(GOOD)
    rows[0] = "2024-01-01T09:15:00,100,101,99,x,10\n"
    rows[2] = "2024-01-01T09:15:00,101,103,100.5,102,30\n"
    fails(write(tmp_path, HEADER + "".join(rows)), r"line 2: close: unparseable number 'x'")


def test_backtrader_time_field_errors(tmp_path: Path) -> None:
    header = "Date,Time,Open,High,Low,Close,Volume,OpenInterest\n"
    good = "2006-01-02,09:01:00,3602.00,3603.00,3597.00,3599.00,5699,0\n"
    fails(
        write(tmp_path, header + good + "2006-01-02,25:00:00,1,1,1,1,1,0\n", "t.txt"),
        r"line 3: unparseable time '25:00:00'",
    )
    fails(
        write(tmp_path, header + good + "2006-02-30,09:02:00,1,1,1,1,1,0\n", "t.txt"),
        r"line 3: unparseable date '2006-02-30'",
    )
    fails(
        write(tmp_path, header + good + "2006-01-02,09:01:00,1,1,1,1,1,0\n", "t.txt"),
        r"line 3: duplicate timestamp 2006-01-02T09:01:00\+05:30, the same as line 2",
    )


def test_empty_file(tmp_path: Path) -> None:
    fails(write(tmp_path, ""), r"line 1: the file is empty")
    fails(write(tmp_path, "\n\n  \n"), r"line 1: the file is empty")


def test_header_without_bars(tmp_path: Path) -> None:
    fails(write(tmp_path, HEADER), r"line 2: no bars after the header")
    fails(write(tmp_path, HEADER + "\n\n"), r"no bars after the header")


def test_unknown_header_lists_accepted_formats(tmp_path: Path) -> None:
    message = fails(
        write(tmp_path, "when,o,h,l,c\n2024-01-01,1,1,1,1\n"),
        r"line 1: unknown header 'when,o,h,l,c'",
    )
    for fmt in FORMATS:
        assert fmt.example in message
    fails(write(tmp_path, "\n" + HEADER + GOOD[0]), r"line 1: blank where the header should be")
    fails(write(tmp_path, GOOD[0] + GOOD[1]), r"line 1: unknown header")


def test_unclosed_quote_reports_where_the_row_starts(tmp_path: Path) -> None:
    text = HEADER + GOOD[0] + GOOD[1].replace(",101,", ',"101,') + GOOD[2]
    fails(write(tmp_path, text), r"line 3: missing field.*closing quote missing")


def test_not_text(tmp_path: Path) -> None:
    fails(write(tmp_path, HEADER + GOOD[0] + "2024\x00-01-01,1,1,1,1,1\n"), r"line 3")


def test_file_type_and_existence(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"unknown file type '.xlsx'.*\.csv.*\.parquet"):
        load_bars(tmp_path / "bars.xlsx")
    with pytest.raises(DataError, match=r"unknown file type '\(no extension\)'"):
        load_bars(tmp_path / "bars")
    with pytest.raises(DataError, match=r"missing.csv: no such file"):
        load_bars(tmp_path / "missing.csv")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(DataError, match=r"folder.csv: not a file"):
        load_bars(tmp_path / "folder.csv")


def test_unknown_duplicates_policy(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD[0])
    with pytest.raises(ConfigError, match="duplicates must be 'error' or 'merge'"):
        load_bars(path, duplicates="keep")  # type: ignore[arg-type]


def test_merge_still_rejects_out_of_order(tmp_path: Path) -> None:
    rows = [GOOD[1], GOOD[0]]
    path = write(tmp_path, HEADER + "".join(rows))
    with pytest.raises(DataError, match=r"line 3: timestamp .* is out of order"):
        load_bars(path, duplicates="merge")
