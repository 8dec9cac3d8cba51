"""critic's Dockerfile parser: exact structures for the cases the rule layer relies on."""
from __future__ import annotations

import dataclasses
import random
import time

import pytest

from critic.parsers.dockerfile import (
    Comment,
    Dockerfile,
    Heredoc,
    Instruction,
    ParseError,
    Stage,
    key_values,
    parse_dockerfile,
)

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is optional
    given = None


def ins(keyword, arguments, line, end_line=None, column=1, json_form=None, flags=(), heredocs=(), stage=0):
    return Instruction(
        keyword, arguments, line, line if end_line is None else end_line, column, json_form, flags, heredocs, stage
    )


def text(*lines: str) -> str:
    return "\n".join(lines) + "\n"


# --- basics ------------------------------------------------------------------------------------


def test_empty_file_is_not_an_error():
    df = parse_dockerfile("")
    assert df == Dockerfile((), (), (), (), "\\", ())
    assert df.final_stage is None
    assert df.stage_instructions(0) == ()


def test_blank_lines_only():
    assert parse_dockerfile("\n\n   \n\t\n") == Dockerfile((), (), (), (), "\\", ())


def test_only_comments():
    df = parse_dockerfile(text("# first", "", "#second  ", "   # indented", "#"))
    assert df.instructions == ()
    assert df.errors == ()
    assert df.directives == ()
    assert df.comments == (
        Comment("first", 1),
        Comment("second", 3),
        Comment("indented", 4),
        Comment("", 5),
    )


def test_simple_file():
    df = parse_dockerfile(text("FROM python:3.12-slim", "  run  pip install x  ", "CMD python app.py"))
    assert df.instructions == (
        ins("FROM", "python:3.12-slim", 1),
        ins("RUN", "pip install x", 2, column=3),
        ins("CMD", "python app.py", 3),
    )
    assert df.stages == (Stage(0, "python:3.12-slim", None, 1, None),)
    assert df.errors == ()
    assert df.escape == "\\"


def test_keywords_are_case_insensitive():
    df = parse_dockerfile(text("from alpine", "Run echo hi", "wOrKdIr /app"))
    assert [i.keyword for i in df.instructions] == ["FROM", "RUN", "WORKDIR"]
    assert df.errors == ()


def test_no_final_newline_and_tab_separator():
    df = parse_dockerfile("FROM alpine\nRUN\techo  hi")
    assert df.instructions[1] == ins("RUN", "echo  hi", 2)


def test_instruction_without_arguments():
    df = parse_dockerfile(text("FROM alpine", "CMD"))
    assert df.instructions[1] == ins("CMD", "", 2)


def test_trailing_comment_text_is_part_of_arguments():
    df = parse_dockerfile(text("FROM alpine", "RUN echo hi # not a comment"))
    assert df.instructions[1].arguments == "echo hi # not a comment"
    assert df.comments == ()


def test_dataclasses_are_frozen_with_slots():
    df = parse_dockerfile(text("FROM alpine"))
    for obj in (df, df.instructions[0], df.stages[0]):
        assert not hasattr(obj, "__dict__")
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, dataclasses.fields(obj)[0].name, None)


# --- continuations -----------------------------------------------------------------------------


def test_backslash_continuation():
    df = parse_dockerfile(
        text(
            "FROM debian",
            "RUN apt-get update \\",
            "    && apt-get install -y \\",
            "       curl \\  ",  # trailing blanks after the escape are tolerated
            "    && rm -rf /var/lib/apt/lists/*",
            "USER app",
        )
    )
    assert df.instructions == (
        ins("FROM", "debian", 1),
        ins("RUN", "apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*", 2, 5),
        ins("USER", "app", 6),
    )
    assert df.errors == ()


def test_continuation_without_spaces_gets_one_space():
    df = parse_dockerfile(text("FROM a", "RUN echo foo\\", "bar"))
    assert df.instructions[1] == ins("RUN", "echo foo bar", 2, 3)


def test_backtick_continuation_with_escape_directive():
    df = parse_dockerfile(
        text(
            "# escape=`",
            "",
            "FROM mcr.microsoft.com/windows/servercore",
            "COPY testfile.txt C:\\",
            "RUN dir C:\\ `",
            "    && echo done",
        )
    )
    assert df.escape == "`"
    assert df.directives == (("escape", "`"),)
    assert df.instructions == (
        ins("FROM", "mcr.microsoft.com/windows/servercore", 3),
        ins("COPY", "testfile.txt C:\\", 4),  # backslash is literal here, no continuation
        ins("RUN", "dir C:\\ && echo done", 5, 6),
    )
    assert df.comments == ()
    assert df.errors == ()


def test_backslash_is_not_continuation_under_backtick():
    df = parse_dockerfile(text("# escape=`", "FROM a", "RUN echo \\", "USER x"))
    assert [i.keyword for i in df.instructions] == ["FROM", "RUN", "USER"]
    assert df.instructions[1] == ins("RUN", "echo \\", 3)


def test_comments_and_empty_lines_inside_continuation():
    df = parse_dockerfile(
        text(
            "FROM alpine",
            "RUN apk add \\",
            "    # the http client",
            "    curl \\",
            "",
            "#  and git ",
            "    git",
            "# after",
        )
    )
    assert df.instructions == (
        ins("FROM", "alpine", 1),
        ins("RUN", "apk add curl git", 2, 7),
    )
    assert df.comments == (Comment("the http client", 3), Comment("and git", 6), Comment("after", 8))
    assert df.errors == ()


def test_comment_ending_in_escape_inside_continuation_is_just_skipped():
    df = parse_dockerfile(text("FROM a", "RUN a \\", "# c \\", "  b", "USER u"))
    assert df.instructions[1:] == (ins("RUN", "a b", 2, 4), ins("USER", "u", 5))
    assert df.comments == (Comment("c \\", 3),)


def test_continuation_at_end_of_file_is_an_error_but_kept():
    df = parse_dockerfile("FROM alpine\nRUN echo hi \\\n")
    assert df.instructions[1] == ins("RUN", "echo hi", 2)
    assert df.errors == (ParseError("line continuation at end of file", 2),)


def test_continuation_at_end_of_file_after_blank_lines():
    df = parse_dockerfile("FROM alpine\nRUN a \\\n  b \\\n\n# c\n")
    assert df.instructions[1] == ins("RUN", "a b", 2, 3)
    assert df.errors == (ParseError("line continuation at end of file", 3),)
    assert df.comments == (Comment("c", 5),)


def test_long_continuation_is_linear():
    n = 5000
    lines = ["FROM alpine", "RUN true \\"] + [f"    && echo {k} \\" for k in range(n)] + ["    && echo end"]
    start = time.perf_counter()
    df = parse_dockerfile(text(*lines))
    elapsed = time.perf_counter() - start
    run = df.instructions[1]
    assert run.line == 2 and run.end_line == n + 3
    assert run.arguments.startswith("true && echo 0 && echo 1 ")
    assert run.arguments.endswith(f"&& echo {n - 1} && echo end")
    assert df.errors == ()
    assert elapsed < 2.0


def test_long_lines_are_fast():
    start = time.perf_counter()
    parse_dockerfile("#  escape=" + " " * 200_000 + "x\n")
    parse_dockerfile("FROM a\nRUN " + "<<" * 100_000 + "\n")
    parse_dockerfile("FROM a\nCMD " + "[" * 100_000 + "\n")
    parse_dockerfile("FROM a\nCOPY " + "--a " * 50_000 + "x y\n")
    assert time.perf_counter() - start < 3.0


# --- parser directives -------------------------------------------------------------------------


def test_directives_and_their_end():
    df = parse_dockerfile(
        text(
            "# syntax=docker/dockerfile:1.7",
            "#  CHECK = skip=JSONArgsRecommended;error=true ",
            "",
            "# escape=`",
            "FROM alpine",
        )
    )
    assert df.directives == (("syntax", "docker/dockerfile:1.7"), ("check", "skip=JSONArgsRecommended;error=true"))
    assert df.escape == "\\"
    assert df.comments == (Comment("escape=`", 4),)
    assert df.errors == ()


def test_directive_after_comment_is_a_comment():
    df = parse_dockerfile(text("# about this file", "# escape=`", "FROM alpine"))
    assert df.directives == ()
    assert df.escape == "\\"
    assert df.comments == (Comment("about this file", 1), Comment("escape=`", 2))


def test_directive_after_instruction_is_a_comment():
    df = parse_dockerfile(text("FROM alpine", "# syntax=docker/dockerfile:1"))
    assert df.directives == ()
    assert df.comments == (Comment("syntax=docker/dockerfile:1", 2),)


def test_unknown_directive_is_a_comment_and_ends_directives():
    df = parse_dockerfile(text("# unknowndirective=value", "# escape=`", "FROM alpine"))
    assert df.directives == ()
    assert df.escape == "\\"
    assert df.comments == (Comment("unknowndirective=value", 1), Comment("escape=`", 2))


def test_directive_keys_are_case_insensitive_and_blanks_allowed():
    df = parse_dockerfile(text("#\tEsCaPe =  `  ", "FROM a"))
    assert df.directives == (("escape", "`"),)
    assert df.escape == "`"


def test_duplicate_and_invalid_directives_are_errors():
    df = parse_dockerfile(text("# escape=x", "# escape=`", "FROM a"))
    assert df.directives == (("escape", "x"),)
    assert df.escape == "\\"
    assert df.errors == (
        ParseError("invalid escape token 'x' does not match ` or \\", 1),
        ParseError("only one escape parser directive can be used", 2),
    )


def test_bom_is_ignored():
    df = parse_dockerfile("\ufeff# escape=`\nFROM a\n")
    assert df.directives == (("escape", "`"),)
    assert df.instructions == (ins("FROM", "a", 2),)


# --- stages ------------------------------------------------------------------------------------


def test_multi_stage_with_names_and_platform():
    df = parse_dockerfile(
        text(
            "ARG BASE=python:3.12-slim",
            "FROM --platform=$BUILDPLATFORM golang:1.22 AS Build",
            "RUN go build -o /app",
            "FROM ${BASE} as runtime",
            "COPY --from=build /app /app",
            "from runtime",
            "USER 1000",
        )
    )
    assert df.stages == (
        Stage(0, "golang:1.22", "build", 2, "$BUILDPLATFORM"),
        Stage(1, "${BASE}", "runtime", 4, None),
        Stage(2, "runtime", None, 6, None),
    )
    assert [(i.keyword, i.stage) for i in df.instructions] == [
        ("ARG", -1),
        ("FROM", 0),
        ("RUN", 0),
        ("FROM", 1),
        ("COPY", 1),
        ("FROM", 2),
        ("USER", 2),
    ]
    assert df.instructions[1].flags == (("platform", "$BUILDPLATFORM"),)
    assert df.instructions[4].flags == (("from", "build"),)
    assert df.final_stage == Stage(2, "runtime", None, 6, None)
    assert df.stage_instructions(1) == (ins("FROM", "${BASE} as runtime", 4, stage=1), ins("COPY", "--from=build /app /app", 5, flags=(("from", "build"),), stage=1))
    assert df.stage_instructions(-1) == (ins("ARG", "BASE=python:3.12-slim", 1, stage=-1),)
    assert df.errors == ()


def test_malformed_from_still_makes_a_stage():
    df = parse_dockerfile(text("FROM a b", "FROM"))
    assert df.stages == (Stage(0, "a", None, 1, None), Stage(1, "", None, 2, None))
    assert df.errors == (
        ParseError("FROM requires either one or three arguments (image [AS name])", 1),
        ParseError("FROM requires either one or three arguments (image [AS name])", 2),
    )


def test_no_from_is_an_error_only_with_instructions():
    df = parse_dockerfile(text("# just a comment", "", "RUN echo hi"))
    assert df.instructions == (ins("RUN", "echo hi", 3, stage=-1),)
    assert df.errors == (ParseError("no FROM instruction", 3),)
    assert parse_dockerfile("# c\n").errors == ()


# --- JSON (exec) vs shell form ------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, expected",
    [
        ('CMD ["python", "app.py"]', ("python", "app.py")),
        ("CMD python app.py", None),
        ("CMD []", ()),
        ('ENTRYPOINT [ "/bin/tini", "--" ]  ', ("/bin/tini", "--")),
        ("ENTRYPOINT ['single', 'quotes']", None),  # not JSON: shell form
        ('RUN ["apt-get", "install", 1]', None),  # not all strings
        ('RUN ["unterminated"', None),
        ('RUN ["a"] && b', None),
        ('RUN --mount=type=cache,target=/x ["make"]', ("make",)),
        ('SHELL ["powershell", "-Command"]', ("powershell", "-Command")),
        ('COPY --chown=app:app ["a b.txt", "/dst/"]', ("a b.txt", "/dst/")),
        ('ADD ["https://x/y.tgz", "/opt/"]', ("https://x/y.tgz", "/opt/")),
        ('VOLUME ["/data"]', ("/data",)),
        ("VOLUME /data", None),
        ('HEALTHCHECK --interval=30s --timeout=3s CMD ["curl", "-f", "http://localhost/"]', ("curl", "-f", "http://localhost/")),
        ("HEALTHCHECK CMD curl -f http://localhost/", None),
        ("HEALTHCHECK NONE", None),
        ('LABEL ["a"]', None),  # LABEL has no exec form
        ('USER ["root"]', None),
        ('CMD ["caf\\u00e9"]', ("café",)),
    ],
)
def test_json_form(line, expected):
    df = parse_dockerfile("FROM a\n" + line + "\n")
    assert df.instructions[1].json_form == expected


def test_flags():
    df = parse_dockerfile(
        text(
            "FROM a",
            'COPY --from=builder --chown="app user":app --link /src /dst',
            "RUN --mount=type=secret,id=tok --network=none -- --not-a-flag",
            "ADD --checksum=sha256:abc https://x /y",
            "RUN echo --not-a-flag",
        )
    )
    assert [i.flags for i in df.instructions[1:]] == [
        (("from", "builder"), ("chown", "app user:app"), ("link", "")),
        (("mount", "type=secret,id=tok"), ("network", "none")),
        (("checksum", "sha256:abc"),),
        (),
    ]
    assert df.instructions[1].arguments == 'COPY --from=builder --chown="app user":app --link /src /dst'[5:]


# --- heredocs ----------------------------------------------------------------------------------


def test_single_heredoc():
    df = parse_dockerfile(
        text(
            "FROM alpine",
            "RUN <<EOF",
            "apk add curl",
            "FROM not-an-instruction",
            "  EOF",  # not the delimiter: indented
            "EOF",
            "USER app",
        )
    )
    assert df.instructions == (
        ins("FROM", "alpine", 1),
        ins(
            "RUN",
            "<<EOF",
            2,
            6,
            heredocs=(Heredoc("EOF", "apk add curl\nFROM not-an-instruction\n  EOF\n", 3, 6),),
        ),
        ins("USER", "app", 7),
    )
    assert df.stages == (Stage(0, "alpine", None, 1, None),)
    assert df.errors == ()


def test_heredoc_with_command_and_redirect():
    df = parse_dockerfile(text("FROM a", "RUN python3 <<PY > /out", "print(1)", "PY"))
    assert df.instructions[1] == ins("RUN", "python3 <<PY > /out", 2, 4, heredocs=(Heredoc("PY", "print(1)\n", 3, 4),))


def test_multiple_heredocs_on_one_line():
    df = parse_dockerfile(
        text(
            "FROM alpine",
            "COPY <<a.txt <<b.txt /dst/",
            "alpha",
            "a.txt",
            "beta",
            "b.txt",
            "CMD [\"sh\"]",
        )
    )
    assert df.instructions[1] == ins(
        "COPY",
        "<<a.txt <<b.txt /dst/",
        2,
        6,
        heredocs=(Heredoc("a.txt", "alpha\n", 3, 4), Heredoc("b.txt", "beta\n", 5, 6)),
    )
    assert df.instructions[2] == ins("CMD", '["sh"]', 7, json_form=("sh",))
    assert df.errors == ()


def test_dash_heredoc_strips_leading_tabs():
    df = parse_dockerfile(text("FROM a", "RUN <<-EOT", "\techo hi", "\t\techo  there", "\tEOT", "USER u"))
    assert df.instructions[1] == ins("RUN", "<<-EOT", 2, 5, heredocs=(Heredoc("EOT", "echo hi\necho  there\n", 3, 5),))
    assert df.instructions[2] == ins("USER", "u", 6)


def test_plain_heredoc_does_not_strip_tabs():
    df = parse_dockerfile(text("FROM a", "RUN <<EOT", "\tEOT", "EOT"))
    assert df.instructions[1].heredocs == (Heredoc("EOT", "\tEOT\n", 3, 4),)


@pytest.mark.parametrize("word", ['<<"EOF"', "<<'EOF'", "<<E\"O\"F", "<<\\EOF"])
def test_quoted_heredoc_delimiter(word):
    df = parse_dockerfile(text("FROM a", f"RUN cat {word}", "echo $HOME", "EOF"))
    assert df.instructions[1].heredocs == (Heredoc("EOF", "echo $HOME\n", 3, 4),)
    assert df.errors == ()


def test_heredoc_with_file_descriptor_and_empty_body():
    df = parse_dockerfile(text("FROM a", "RUN cat 0<<EOF", "EOF"))
    assert df.instructions[1] == ins("RUN", "cat 0<<EOF", 2, 3, heredocs=(Heredoc("EOF", "", 3, 3),))


def test_heredoc_after_continuation():
    df = parse_dockerfile(text("FROM a", "RUN --mount=type=cache,target=/c \\", "  <<EOF", "make", "EOF"))
    assert df.instructions[1] == ins(
        "RUN",
        "--mount=type=cache,target=/c <<EOF",
        2,
        5,
        flags=(("mount", "type=cache,target=/c"),),
        heredocs=(Heredoc("EOF", "make\n", 4, 5),),
    )


def test_heredoc_body_comments_are_not_comments():
    df = parse_dockerfile(text("FROM a", "RUN <<EOF", "# inside", "EOF", "# outside"))
    assert df.comments == (Comment("outside", 5),)


@pytest.mark.parametrize(
    "line",
    [
        'RUN echo "<<EOF"',  # quoted: not a heredoc
        "RUN echo '<<EOF'",
        "RUN cat <<<word",  # here-string
        "RUN cat << EOF",  # BuildKit needs the word attached
        "RUN echo \\<<EOF",
        'RUN ["cat", "<<EOF"]',  # exec form has no heredocs
        "CMD cat <<EOF",  # only RUN, COPY, ADD
        "ONBUILD CMD cat <<EOF",
    ],
)
def test_not_heredocs(line):
    df = parse_dockerfile(text("FROM a", line, "USER u"))
    assert df.instructions[1].heredocs == ()
    assert [i.keyword for i in df.instructions] == ["FROM", line.split()[0], "USER"]


def test_onbuild_heredoc():
    df = parse_dockerfile(text("FROM a", "ONBUILD RUN <<EOF", "make", "EOF"))
    assert df.instructions[1] == ins("ONBUILD", "RUN <<EOF", 2, 4, heredocs=(Heredoc("EOF", "make\n", 3, 4),))


def test_unterminated_heredoc():
    df = parse_dockerfile(text("FROM a", "RUN <<EOF", "echo hi", "USER u"))
    assert df.instructions == (
        ins("FROM", "a", 1),
        ins("RUN", "<<EOF", 2, 4, heredocs=(Heredoc("EOF", "echo hi\nUSER u\n", 3, 4),)),
    )
    assert df.errors == (ParseError("unterminated heredoc 'EOF'", 2),)


def test_unterminated_heredoc_at_end_of_file():
    df = parse_dockerfile("FROM a\nCOPY <<x <<y /d")
    assert df.instructions[1] == ins(
        "COPY", "<<x <<y /d", 2, 2, heredocs=(Heredoc("x", "", 2, 2), Heredoc("y", "", 2, 2))
    )
    assert df.errors == (ParseError("unterminated heredoc 'x'", 2), ParseError("unterminated heredoc 'y'", 2))


# --- unknown keywords, CRLF ---------------------------------------------------------------------


def test_unknown_keyword_is_returned_and_reported():
    df = parse_dockerfile(text("FROM a", "RUNN echo hi", "COPY . ."))
    assert df.instructions == (ins("FROM", "a", 1), ins("RUNN", "echo hi", 2), ins("COPY", ". .", 3))
    assert df.errors == (ParseError("unknown instruction: RUNN", 2),)


def test_crlf_line_endings():
    df = parse_dockerfile(
        "# syntax=docker/dockerfile:1\r\n\r\nFROM a AS b\r\nRUN x \\\r\n  y\r\nRUN <<EOF\r\nbody\r\nEOF\r\n# c\r\n"
    )
    assert df.directives == (("syntax", "docker/dockerfile:1"),)
    assert df.instructions == (
        ins("FROM", "a AS b", 3),
        ins("RUN", "x y", 4, 5),
        ins("RUN", "<<EOF", 6, 8, heredocs=(Heredoc("EOF", "body\n", 7, 8),)),
    )
    assert df.stages == (Stage(0, "a", "b", 3, None),)
    assert df.comments == (Comment("c", 9),)
    assert df.errors == ()


# --- key_values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, expected",
    [
        ('ENV A=1 B="two words" C=\'x y\' D=a\\ b', (("A", "1"), ("B", "two words"), ("C", "x y"), ("D", "a b"))),
        ("ENV PATH=/opt/bin:$PATH", (("PATH", "/opt/bin:$PATH"),)),
        ("ENV A 1", (("A", "1"),)),
        ('ENV MSG hello  "big" world', (("MSG", "hello  big world"),)),
        ("ENV A", (("A", ""),)),
        ("ENV A=", (("A", ""),)),
        ('LABEL org.opencontainers.image.title="critic" version=1', (("org.opencontainers.image.title", "critic"), ("version", "1"))),
        ("ARG NAME", (("NAME", None),)),
        ("ARG NAME=default", (("NAME", "default"),)),
        ('ARG A=1 B C="x"', (("A", "1"), ("B", None), ("C", "x"))),
        ("ARG", ()),
        ("RUN A=1", ()),
    ],
)
def test_key_values(line, expected):
    df = parse_dockerfile("FROM a\n" + line + "\n")
    assert key_values(df.instructions[1]) == expected


def test_key_values_with_backtick_escape():
    df = parse_dockerfile(text("# escape=`", "FROM a", "ENV P=C:\\app Q=a` b"))
    assert key_values(df.instructions[1], df.escape) == (("P", "C:\\app"), ("Q", "a b"))


# --- never raise --------------------------------------------------------------------------------

_ALPHABET = "FROMRUNCOPYaeAS \t\\`#<<-EOF\"'[]{},=:-\n\r\x00\ufeff\u2028é"


def _check_never_raises(source: str) -> None:
    df = parse_dockerfile(source)
    assert isinstance(df, Dockerfile)
    for instruction in df.instructions:
        assert instruction.line <= instruction.end_line
        assert instruction.keyword == instruction.keyword.upper()
        key_values(instruction)
        key_values(instruction, "`")
    for index in range(-1, len(df.stages)):
        df.stage_instructions(index)
    assert df.final_stage == (df.stages[-1] if df.stages else None)


def test_random_text_never_raises():
    rng = random.Random(20240601)
    for _ in range(1500):
        size = rng.randint(0, 200)
        if rng.random() < 0.5:
            source = "".join(rng.choice(_ALPHABET) for _ in range(size))
        else:
            source = bytes(rng.randrange(256) for _ in range(size)).decode("utf-8", errors="replace")
        _check_never_raises(source)


def test_fragments_never_raise():
    fragments = [
        "FROM a AS b\n", "RUN <<EOF\n", "EOF\n", "\tEOF\n", "RUN <<-\"X\" <<Y\n", "X\n", "Y\n", "\\\n", "`\n",
        "# escape=`\n", "# syntax=x\n", "COPY --from=b [\"a\", \"b\"]\n", "CMD [[[[\n", "HEALTHCHECK CMD [\n",
        "ENV A=\"\n", "ARG B='\n", "ONBUILD RUN <<Z\n", "\n", "# c \\\n", "LABEL a b\n", "--\n", "RUN --\n",
    ]
    rng = random.Random(7)
    for _ in range(2000):
        _check_never_raises("".join(rng.choice(fragments) for _ in range(rng.randint(0, 12))))


if given is not None:

    @settings(max_examples=300, deadline=None)
    @given(st.text())
    def test_hypothesis_text_never_raises(source):
        _check_never_raises(source)

    @settings(max_examples=300, deadline=None)
    @given(st.binary())
    def test_hypothesis_bytes_never_raise(data):
        _check_never_raises(data.decode("utf-8", errors="replace"))
