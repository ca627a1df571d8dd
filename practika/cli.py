"""practika: the Practika command line, on top of the Python SDK.

Log in once with `practika login`; the token is stored in your config dir
($XDG_CONFIG_HOME/practika/credentials.json, mode 600). PRACTIKA_URL and PRACTIKA_TOKEN
override what is stored. Output is a table for people; --json prints the API's JSON for
scripts.

exit codes:
  0  ok
  1  API error (anything not listed below)
  2  usage error, or input the server refused as invalid (400)
  3  not logged in, bad or revoked token, or not allowed (401/403)
  4  not found (404: missing, or not yours to see)
  5  timed out, or the clip's processing failed or was rejected
  6  conflict (409: e.g. a clip committed twice)
  7  rate limited (429; wait and retry)
  8  server error or server unreachable (5xx, network)
  130 interrupted (Ctrl-C)
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from .client import Practika
from .config import DEFAULT_URL, Credentials, forget_credentials, save_credentials
from .errors import (
    AuthError,
    Conflict,
    NotFound,
    PractikaError,
    ProcessingFailed,
    RateLimited,
    ServerError,
    ValidationError,
    WaitTimeout,
)
from .models import ApiObject, Event
from .realtime import MESSAGE_EVENTS

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_TIMEOUT_OR_FAILED = 5
EXIT_CONFLICT = 6
EXIT_RATE_LIMITED = 7
EXIT_SERVER = 8
EXIT_INTERRUPTED = 130

Column = tuple[str, str]  # (header, dotted attribute path)


# --- output -----------------------------------------------------------------------------------
def _cell(obj: object, path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        if value is None:
            break
        value = value.get(part) if isinstance(value, Mapping) else getattr(value, part, None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def print_table(rows: Iterable[object], columns: Sequence[Column], out: TextIO) -> None:
    cells = [[_cell(row, path) for _, path in columns] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, (h, _) in enumerate(columns)]
    header = "  ".join(h.upper().ljust(w) for (h, _), w in zip(columns, widths, strict=True))
    print(header.rstrip(), file=out)
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), file=out)


def print_fields(obj: object, columns: Sequence[Column], out: TextIO) -> None:
    width = max(len(h) for h, _ in columns)
    for header, path in columns:
        print(f"{header.ljust(width)}  {_cell(obj, path)}", file=out)


def as_json(value: object) -> Any:
    if isinstance(value, ApiObject):
        return value.to_json()
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value


class Output:
    def __init__(self, *, json_mode: bool, out: TextIO, err: TextIO) -> None:
        self.json_mode = json_mode
        self.out = out
        self.err = err

    def rows(self, rows: Iterable[ApiObject], columns: Sequence[Column]) -> None:
        items = list(rows)
        if self.json_mode:
            self.json(items)
        elif items:
            print_table(items, columns, self.out)
        else:
            print("(none)", file=self.out)

    def one(self, obj: ApiObject, columns: Sequence[Column]) -> None:
        if self.json_mode:
            self.json(obj)
        else:
            print_fields(obj, columns, self.out)

    def json(self, value: object) -> None:
        print(json.dumps(as_json(value), indent=2, default=str), file=self.out, flush=True)

    def note(self, text: str) -> None:
        """Human messages go to stderr in --json mode, so stdout stays parseable."""
        print(text, file=self.err if self.json_mode else self.out, flush=True)


# --- progress ---------------------------------------------------------------------------------
class UploadProgress:
    """A progress bar on stderr (rich), shown only on a terminal."""

    def __init__(self, label: str, err: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        console = Console(file=err)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
        )
        self.task = self.progress.add_task(label, total=None)

    def __enter__(self) -> UploadProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.progress.stop()

    def __call__(self, sent: int, total: int) -> None:
        self.progress.update(self.task, completed=sent, total=total)


# --- commands ---------------------------------------------------------------------------------
EXERCISE_COLUMNS: list[Column] = [
    ("id", "id"),
    ("title", "title"),
    ("course", "course.title"),
    ("target s", "target_duration_sec"),
]
CLIP_COLUMNS: list[Column] = [
    ("id", "id"),
    ("exercise", "exercise.title"),
    ("take", "attempt_number"),
    ("status", "status"),
    ("progress", "progress"),
    ("duration", "duration"),
    ("created", "created_at"),
]
STATUS_COLUMNS: list[Column] = [
    ("clip", "clip_id"),
    ("status", "status"),
    ("progress", "progress"),
    ("playable", "playable"),
    ("error", "error.code"),
]
NOTIFICATION_COLUMNS: list[Column] = [
    ("id", "id"),
    ("kind", "kind"),
    ("title", "title"),
    ("read", "read"),
    ("created", "created_at"),
]


def cmd_login(args: argparse.Namespace, output: Output) -> int:
    url = args.url or os.environ.get("PRACTIKA_URL") or DEFAULT_URL
    username = args.username or input("Username: ")
    password = args.password or getpass.getpass("Password: ")
    client = Practika.login(url, username, password)
    assert client.token is not None  # login sets it or raises
    path = save_credentials(Credentials(url=client.url, token=client.token, username=username))
    output.note(f"Logged in to {client.url} as {username}; token stored in {path}")
    return EXIT_OK


def cmd_logout(args: argparse.Namespace, output: Output) -> int:
    # Revoked or expired already: forgetting it locally is all that is left to do.
    with contextlib.suppress(AuthError):
        client(args).logout()
    forget_credentials()
    output.note("Logged out.")
    return EXIT_OK


def cmd_me(args: argparse.Namespace, output: Output) -> int:
    output.one(client(args).me(), [("id", "id"), ("username", "username"), ("role", "role")])
    return EXIT_OK


def cmd_courses(args: argparse.Namespace, output: Output) -> int:
    columns = [("id", "id"), ("title", "title"), ("enrolled as", "enrolled_as")]
    output.rows(client(args).courses(), columns)
    return EXIT_OK


def cmd_exercises(args: argparse.Namespace, output: Output) -> int:
    exercises = client(args).exercises(course=args.course, lesson=args.lesson, search=args.search)
    output.rows(exercises, EXERCISE_COLUMNS)
    return EXIT_OK


def cmd_clips(args: argparse.Namespace, output: Output) -> int:
    kind = None if args.kind == "all" else args.kind
    clips = client(args).clips(exercise=args.exercise, status=args.status, kind=kind)
    output.rows(clips, CLIP_COLUMNS)
    return EXIT_OK


def cmd_upload(args: argparse.Namespace, output: Output) -> int:
    path = Path(args.file)
    if not path.is_file():
        output.note(f"practika: no such file: {path}")
        return EXIT_USAGE
    api = client(args)
    show_progress = not args.no_progress
    with UploadProgress(f"Uploading {path.name}", output.err) as bar:
        clip = api.practice(
            args.exercise,
            path,
            duration_sec=args.duration,
            wait=args.wait,
            timeout=args.timeout,
            progress=bar if show_progress else None,
            resumable=True if args.resumable else None,
        )
    output.one(clip, CLIP_COLUMNS)
    return EXIT_OK


def cmd_status(args: argparse.Namespace, output: Output) -> int:
    api = client(args)
    status = api.wait_ready(args.clip, args.timeout) if args.wait else api.status(args.clip)
    output.one(status, STATUS_COLUMNS)
    return EXIT_OK


def cmd_streams(args: argparse.Namespace, output: Output) -> int:
    streams = client(args).streams(args.clip)
    if output.json_mode:
        output.json(streams)
        return EXIT_OK
    print_fields(
        streams, [("hls", "hls"), ("poster", "poster"), ("original", "original")], output.out
    )
    print_table(
        streams.renditions,
        [("height", "height"), ("bandwidth", "bandwidth"), ("url", "url")],
        output.out,
    )
    return EXIT_OK


SEGMENT_COLUMNS: list[Column] = [
    ("id", "id"),
    ("start", "start"),
    ("end", "end"),
    ("title", "title"),
    ("status", "status"),
    ("export", "export.status"),
    ("by", "created_by.username"),
]
FEEDBACK_COLUMNS: list[Column] = [
    ("id", "id"),
    ("status", "status"),
    ("author", "author.username"),
    ("summary", "summary"),
    ("published", "published_at"),
]
MARKER_COLUMNS: list[Column] = [
    ("time", "time"),
    ("end", "end_time"),
    ("kind", "kind"),
    ("text", "text"),
]


def cmd_segments(args: argparse.Namespace, output: Output) -> int:
    output.rows(client(args).segments(args.clip), SEGMENT_COLUMNS)
    return EXIT_OK


def cmd_feedback(args: argparse.Namespace, output: Output) -> int:
    items = list(client(args).clip_feedback(args.clip))
    if output.json_mode:
        output.json(items)
        return EXIT_OK
    if not items:
        print("(none)", file=output.out)
    for number, item in enumerate(items):
        if number:
            print(file=output.out)
        print_fields(item, FEEDBACK_COLUMNS, output.out)
        for score in item.scores:
            print(f"  {score.name}: {score.score}/{score.max_score}", file=output.out)
        if item.markers:
            print_table(item.markers, MARKER_COLUMNS, output.out)
    return EXIT_OK


def cmd_timeline(args: argparse.Namespace, output: Output) -> int:
    timeline = client(args).timeline(args.clip)
    columns = [
        ("type", "type"),
        ("time", "time"),
        ("end", "end_time"),
        ("kind", "kind"),
        ("title/text", "text"),
    ]
    if output.json_mode:
        output.json(timeline)
        return EXIT_OK
    rows = [
        {**entry.to_json(), "text": entry.title if entry.type == "segment" else entry.text}
        for entry in timeline.entries
    ]
    if rows:
        print_table(rows, columns, output.out)
    else:
        print("(none)", file=output.out)
    return EXIT_OK


def cmd_attempts(args: argparse.Namespace, output: Output) -> int:
    columns = [
        ("id", "id"),
        ("student", "student.username"),
        ("take", "attempt_number"),
        ("status", "status"),
        ("feedback", "feedback_count"),
        ("created", "created_at"),
    ]
    output.rows(client(args).attempts(args.exercise, student=args.student), columns)
    return EXIT_OK


def cmd_review_queue(args: argparse.Namespace, output: Output) -> int:
    columns = [
        ("clip", "id"),
        ("course", "course.title"),
        ("exercise", "exercise.title"),
        ("student", "student.username"),
        ("take", "attempt_number"),
        ("drafts", "draft_count"),
        ("ready", "ready_at"),
    ]
    output.rows(client(args).review_queue(course=args.course, exercise=args.exercise), columns)
    return EXIT_OK


def cmd_threads(args: argparse.Namespace, output: Output) -> int:
    columns = [
        ("id", "id"),
        ("title", "title"),
        ("by", "created_by.username"),
        ("resolved", "resolved"),
        ("last seq", "last_seq"),
    ]
    output.rows(client(args).segment_threads(args.segment), columns)
    return EXIT_OK


def cmd_messages(args: argparse.Namespace, output: Output) -> int:
    api = client(args)
    if args.post is not None:
        output.one(api.post_message(args.thread, args.post), MESSAGE_COLUMNS)
        return EXIT_OK
    messages = sorted(api.messages(args.thread, since=args.since), key=lambda m: m.seq)
    output.rows(messages, MESSAGE_COLUMNS)
    return EXIT_OK


MESSAGE_COLUMNS: list[Column] = [
    ("seq", "seq"),
    ("author", "author.username"),
    ("body", "body"),
    ("at", "video_time"),
    ("deleted", "deleted"),
]


def cmd_notifications(args: argparse.Namespace, output: Output) -> int:
    api = client(args)
    if args.mark_read:
        marked = api.mark_read(everything=True)
        output.note(f"Marked {marked.marked} read.")
        return EXIT_OK
    output.rows(api.notifications(unread=True if args.unread else None), NOTIFICATION_COLUMNS)
    return EXIT_OK


def cmd_watch(args: argparse.Namespace, output: Output) -> int:
    """Print a thread's messages as they arrive (after the ones since --since, if given)."""
    shown = 0
    topics = [f"thread:{args.thread}"]
    with client(args).events(topics, since=args.since, types=MESSAGE_EVENTS) as stream:
        stream.open()
        output.note(f"Watching thread {args.thread} (Ctrl-C to stop)")
        deadline_left = args.timeout
        while args.count is None or shown < args.count:
            event = stream.receive(timeout=deadline_left)
            if event is None:
                raise WaitTimeout(f"No message within {args.timeout:g} s.", code="timeout")
            print_message(event, output)
            shown += 1
    return EXIT_OK


def print_message(event: Event, output: Output) -> None:
    if output.json_mode:
        print(json.dumps(event.to_json(), default=str), file=output.out, flush=True)
        return
    data = event.data
    author = _cell(data, "author.username") or "?"
    kind = event.type.removeprefix("message.")
    body = "(deleted)" if kind == "deleted" else str(data.get("body", ""))
    suffix = "" if kind == "created" else f" [{kind}]"
    print(f"#{event.seq} {author}: {body}{suffix}", file=output.out, flush=True)


COMMANDS: dict[str, Callable[[argparse.Namespace, Output], int]] = {
    "login": cmd_login,
    "logout": cmd_logout,
    "me": cmd_me,
    "courses": cmd_courses,
    "exercises": cmd_exercises,
    "clips": cmd_clips,
    "upload": cmd_upload,
    "status": cmd_status,
    "streams": cmd_streams,
    "segments": cmd_segments,
    "feedback": cmd_feedback,
    "timeline": cmd_timeline,
    "attempts": cmd_attempts,
    "review-queue": cmd_review_queue,
    "threads": cmd_threads,
    "messages": cmd_messages,
    "notifications": cmd_notifications,
    "watch": cmd_watch,
}


def client(args: argparse.Namespace) -> Practika:
    return Practika.from_config(args.url)


def _add_global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    default: Any = None if defaults else argparse.SUPPRESS
    parser.add_argument(
        "--url",
        default=default,
        help=f"server URL (default: PRACTIKA_URL, the stored one, or {DEFAULT_URL})",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="print JSON for scripts",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="practika",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_global_options(parser, defaults=True)
    # The global options work after the command too (`practika login --url ...`): there they
    # default to SUPPRESS, so they never overwrite what was given before the command.
    common = argparse.ArgumentParser(add_help=False)
    _add_global_options(common, defaults=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    original_add_parser = commands.add_parser

    def add_parser(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return original_add_parser(name, parents=[common], **kwargs)

    commands.add_parser = add_parser  # type: ignore[method-assign]  # every command gets them

    login = commands.add_parser("login", help="get a token and store it")
    login.add_argument("--username")
    login.add_argument("--password", help="(default: prompt)")
    commands.add_parser("logout", help="revoke the stored token and forget it")
    commands.add_parser("me", help="who you are logged in as")
    commands.add_parser("courses", help="the course catalog")

    exercises = commands.add_parser("exercises", help="exercises you can practise")
    exercises.add_argument("--course", help="course id")
    exercises.add_argument("--lesson", help="lesson id")
    exercises.add_argument("--search")

    clips = commands.add_parser("clips", help="your takes (teachers: their courses' takes)")
    clips.add_argument("--exercise", help="exercise id")
    clips.add_argument("--status")
    clips.add_argument(
        "--kind",
        default="take",
        choices=["take", "reply", "reference", "all"],
        help="take (default), reply, reference or all",
    )

    upload = commands.add_parser("upload", help="upload a take for an exercise")
    upload.add_argument("exercise", metavar="EXERCISE", help="exercise id")
    upload.add_argument("file", metavar="FILE", help="the video file")
    upload.add_argument("--wait", action="store_true", help="wait until processed")
    upload.add_argument(
        "--resumable", action="store_true", help="use tus (resumable) whatever the size"
    )
    upload.add_argument("--duration", type=float, help="seconds (read from MP4/MOV otherwise)")
    upload.add_argument("--timeout", type=float, default=600.0, help="for --wait (seconds)")
    upload.add_argument("--no-progress", action="store_true", help="no progress bar")

    status = commands.add_parser("status", help="a clip's processing status")
    status.add_argument("clip", metavar="CLIP", help="clip id")
    status.add_argument("--wait", action="store_true", help="wait until ready or failed")
    status.add_argument("--timeout", type=float, default=600.0)

    streams = commands.add_parser("streams", help="a clip's signed stream URLs")
    streams.add_argument("clip", metavar="CLIP", help="clip id")

    segments = commands.add_parser("segments", help="a clip's segments")
    segments.add_argument("clip", metavar="CLIP", help="clip id")
    feedback = commands.add_parser("feedback", help="the feedback on a clip, with markers")
    feedback.add_argument("clip", metavar="CLIP", help="clip id")
    timeline = commands.add_parser("timeline", help="a clip's segments and markers by time")
    timeline.add_argument("clip", metavar="CLIP", help="clip id")
    attempts = commands.add_parser("attempts", help="every take of an exercise")
    attempts.add_argument("exercise", metavar="EXERCISE", help="exercise id")
    attempts.add_argument("--student", help="student id (teachers)")
    review = commands.add_parser("review-queue", help="takes waiting for your feedback")
    review.add_argument("--course", help="course id")
    review.add_argument("--exercise", help="exercise id")
    threads = commands.add_parser("threads", help="the threads on a segment")
    threads.add_argument("segment", metavar="SEGMENT", help="segment id")
    messages = commands.add_parser("messages", help="a thread's messages (or post one)")
    messages.add_argument("thread", metavar="THREAD", help="thread id")
    messages.add_argument("--since", type=int, help="only what changed after this seq")
    messages.add_argument("--post", metavar="BODY", help="post this message")

    notifications = commands.add_parser("notifications", help="your notifications")
    notifications.add_argument("--unread", action="store_true", help="only unread ones")
    notifications.add_argument("--mark-read", action="store_true", help="mark all read")

    watch = commands.add_parser("watch", help="print a thread's messages live")
    watch.add_argument("thread", metavar="THREAD", help="thread id")
    watch.add_argument("--since", type=int, help="replay messages after this seq first")
    watch.add_argument("--count", type=int, help="stop after this many messages")
    watch.add_argument("--timeout", type=float, help="stop (exit 5) after this long idle")
    return parser


def exit_code_for(error: PractikaError) -> int:
    codes: list[tuple[type[PractikaError], int]] = [
        (AuthError, EXIT_AUTH),
        (NotFound, EXIT_NOT_FOUND),
        (WaitTimeout, EXIT_TIMEOUT_OR_FAILED),
        (ProcessingFailed, EXIT_TIMEOUT_OR_FAILED),
        (Conflict, EXIT_CONFLICT),
        (RateLimited, EXIT_RATE_LIMITED),
        (ServerError, EXIT_SERVER),
        (ValidationError, EXIT_USAGE),
    ]
    for kind, code in codes:
        if isinstance(error, kind):
            return code
    return EXIT_API_ERROR


def describe(error: PractikaError) -> str:
    text = f"practika: {error}"
    if isinstance(error, ValidationError) and error.details:
        fields = "; ".join(f"{k}: {', '.join(v)}" for k, v in error.fields.items())
        text += f"\n  {fields}"
    if isinstance(error, RateLimited) and error.retry_after is not None:
        text += f"\n  retry after {error.retry_after:g} s"
    return text


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help is 0, a usage error 2
        return int(exc.code or 0)
    output = Output(json_mode=args.json, out=out, err=err)
    try:
        return COMMANDS[args.command](args, output)
    except PractikaError as exc:
        print(describe(exc), file=err)
        return exit_code_for(exc)
    except KeyboardInterrupt:
        print("practika: interrupted", file=err)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
