"""``Practika``: the typed client for ``/api/v1/`` (API.md is the contract).

    client = Practika.login("http://127.0.0.1:8000", "student", "practika-demo")
    exercise = next(iter(client.exercises()))
    clip = client.practice(exercise.id, "take.mp4")   # upload, commit, wait until ready
    print(client.streams(clip.id).hls)

Lists are lazy iterators over every page. Errors raise the classes of ``practika.errors``.
"""

from __future__ import annotations

import mimetypes
import os
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import requests

from .config import DEFAULT_URL, config_dir, load_credentials
from .errors import AuthError, NotFound, PractikaError, ProcessingFailed, WaitTimeout
from .media import probe_duration
from .models import (
    Attempt,
    Clip,
    ClipStatus,
    Course,
    Enrollment,
    Event,
    Exercise,
    Feedback,
    MarkedRead,
    Marker,
    Message,
    NewMarker,
    Notification,
    ReviewItem,
    Segment,
    SegmentStreams,
    Streams,
    Thread,
    Timeline,
    UploadTarget,
    User,
    parse_list,
)
from .realtime import EventStream, Since, websocket_url
from .transport import RetryPolicy, Timeout, Transport
from .uploads import (
    DEFAULT_CHUNK_SIZE,
    ProgressCallback,
    ResumeStore,
    TusUploader,
    file_sha256,
    put_file,
)

#: Files at least this large go over tus (resumable) unless told otherwise.
DEFAULT_RESUMABLE_THRESHOLD = 64 * 1024 * 1024
#: While waiting on the socket, the status is also read over HTTP after this much quiet.
QUIET_RECHECK_SECONDS = 15.0
MAX_POLL_SECONDS = 5.0
PathLike = str | os.PathLike[str]
UploadData = UploadTarget | Mapping[str, Any]


class Practika:
    """A client for one Practika server, authenticated with an API token.

    ``url`` and ``token`` default to ``PRACTIKA_URL`` and ``PRACTIKA_TOKEN``. ``timeout`` is
    seconds (or ``(connect, read)``); idempotent calls are retried ``retries`` times with
    exponential backoff from ``backoff`` seconds. Uploads of ``resumable_threshold`` bytes or
    more use tus in chunks of ``chunk_size``, and unfinished ones are remembered in
    ``resume_dir`` (default: the config dir's ``uploads/``; ``False`` to remember nothing).
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: Timeout = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        resumable_threshold: int = DEFAULT_RESUMABLE_THRESHOLD,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        resume_dir: PathLike | bool | None = None,
        ws_url: str | None = None,
        page_size: int | None = None,
        session: requests.Session | None = None,
    ) -> None:
        base = url or os.environ.get("PRACTIKA_URL") or DEFAULT_URL
        self.transport = Transport(
            base,
            token or os.environ.get("PRACTIKA_TOKEN") or None,
            timeout=timeout,
            retry=RetryPolicy(retries=retries, backoff=backoff),
            session=session,
        )
        self.resumable_threshold = resumable_threshold
        self.chunk_size = chunk_size
        self.page_size = page_size
        self.ws_url = ws_url or websocket_url(self.transport.url)
        if resume_dir is False:
            self.resume_store: ResumeStore | None = None
        elif resume_dir is None or resume_dir is True:
            self.resume_store = ResumeStore(config_dir() / "uploads")
        else:
            self.resume_store = ResumeStore(Path(resume_dir))

    @property
    def url(self) -> str:
        return self.transport.url

    @property
    def token(self) -> str | None:
        return self.transport.token

    @token.setter
    def token(self, value: str | None) -> None:
        self.transport.token = value

    @property
    def session(self) -> requests.Session:
        return self.transport.session

    # --- auth ---------------------------------------------------------------------------------
    @classmethod
    def login(cls, url: str, username: str, password: str, **kwargs: Any) -> Practika:
        """A client with a fresh token for ``username`` (``POST /api/v1/auth/token/``)."""
        client = cls(url, **kwargs)
        body = client.transport.request(
            "POST",
            "/api/v1/auth/token/",
            json={"username": username, "password": password},
            authenticated=False,
        )
        client.token = str(body["token"])
        return client

    @classmethod
    def from_config(cls, url: str | None = None, **kwargs: Any) -> Practika:
        """A client from ``PRACTIKA_URL``/``PRACTIKA_TOKEN``, else what ``practika login``
        stored. Raises ``AuthError`` when neither has a token."""
        stored = load_credentials()
        token = os.environ.get("PRACTIKA_TOKEN") or (stored.token if stored else None)
        if not token:
            raise AuthError("Not logged in: run `practika login` first.", code="not_logged_in")
        base = url or os.environ.get("PRACTIKA_URL") or (stored.url if stored else None)
        return cls(base, token, **kwargs)

    def logout(self) -> None:
        """Revoke this client's token on the server."""
        self.transport.request("DELETE", "/api/v1/auth/token/")
        self.token = None

    def me(self) -> User:
        return User.from_json(self._get("/api/v1/me/"))

    # --- courses and exercises ----------------------------------------------------------------
    def courses(self) -> Iterator[Course]:
        return self._list("/api/v1/courses/", Course.from_json)

    def course(self, course_id: str) -> Course:
        return Course.from_json(self._get(f"/api/v1/courses/{course_id}/"))

    def enroll(self, course_id: str) -> Enrollment:
        body = self.transport.request("POST", f"/api/v1/courses/{course_id}/enroll/")
        return Enrollment.from_json(body)

    def unenroll(self, course_id: str) -> None:
        self.transport.request("DELETE", f"/api/v1/courses/{course_id}/enroll/")

    def exercises(
        self, *, course: str | None = None, lesson: str | None = None, search: str | None = None
    ) -> Iterator[Exercise]:
        params = {"course": course, "lesson": lesson, "search": search}
        return self._list("/api/v1/exercises/", Exercise.from_json, params)

    def exercise(self, exercise_id: str) -> Exercise:
        return Exercise.from_json(self._get(f"/api/v1/exercises/{exercise_id}/"))

    # --- clips --------------------------------------------------------------------------------
    def clips(
        self,
        *,
        exercise: str | None = None,
        owner: str | None = None,
        course: str | None = None,
        status: str | None = None,
        kind: str | None = None,
        search: str | None = None,
        ordering: str | None = None,
    ) -> Iterator[Clip]:
        params = {
            "exercise": exercise,
            "owner": owner,
            "course": course,
            "status": status,
            "kind": kind,
            "search": search,
            "ordering": ordering,
        }
        return self._list("/api/v1/clips/", Clip.from_json, params)

    def clip(self, clip_id: str) -> Clip:
        return Clip.from_json(self._get(f"/api/v1/clips/{clip_id}/"))

    def update_clip(
        self, clip_id: str, *, title: str | None = None, notes: str | None = None
    ) -> Clip:
        changes = _without_none({"title": title, "notes": notes})
        return Clip.from_json(self._patch(f"/api/v1/clips/{clip_id}/", changes))

    def delete_clip(self, clip_id: str) -> None:
        self.transport.request("DELETE", f"/api/v1/clips/{clip_id}/")

    def request_upload(
        self,
        exercise_id: str,
        duration_sec: float,
        filename: str | None = None,
        size_bytes: int | None = None,
        content_type: str | None = None,
        sha256: str | None = None,
    ) -> UploadTarget:
        """Create a clip awaiting its upload; the answer says where to send the bytes."""
        body = {"exercise_id": exercise_id, "duration_sec": duration_sec}
        body |= _without_none(
            {
                "filename": filename,
                "size_bytes": size_bytes,
                "content_type": content_type,
                "sha256": sha256,
            }
        )
        return UploadTarget.from_json(self.transport.request("POST", "/api/v1/clips/", json=body))

    def upload_file(
        self,
        upload_data: UploadData,
        path: PathLike,
        progress: ProgressCallback | None = None,
        *,
        resumable: bool | None = None,
    ) -> None:
        """Send the file to the upload target, streamed from disk.

        ``resumable`` (default: when the file is at least ``resumable_threshold`` bytes)
        uses tus at ``tus_url``: chunked, resumed after a dropped connection, and resumed
        from where it stopped when called again for the same file, even in a new process.
        """
        target = _as_target(upload_data)
        file = Path(path)
        if self._use_tus(file, target, resumable):
            assert target.tus_url is not None  # _use_tus checked it
            self._tus().upload(
                tus_url=target.tus_url,
                path=file,
                clip_id=target.clip_id,
                progress=progress,
                content_type=_content_type(file),
            )
            return
        put_file(
            self.transport,
            url=target.url,
            path=file,
            method=target.method,
            headers=dict(target.headers),
            progress=progress,
        )

    def commit(self, clip_id: str) -> ClipStatus:
        """The upload is complete: check it and start processing (409 when done already)."""
        return ClipStatus.from_json(
            self.transport.request("POST", f"/api/v1/clips/{clip_id}/commit/")
        )

    def status(self, clip_id: str) -> ClipStatus:
        return ClipStatus.from_json(self._get(f"/api/v1/clips/{clip_id}/status/"))

    def streams(self, clip_id: str) -> Streams:
        return Streams.from_json(self._get(f"/api/v1/clips/{clip_id}/streams/"))

    def wait_ready(
        self,
        clip_id: str,
        timeout: float = 600.0,
        *,
        on_event: Callable[[Event], None] | None = None,
        poll_interval: float = 1.0,
        raise_on_failure: bool = True,
    ) -> ClipStatus:
        """Wait until the clip is ready (or failed or rejected) and return its status.

        Listens to ``clip:<id>`` on the websocket (``on_event`` sees each event) and reads
        the status over HTTP when the socket cannot be opened or stays quiet. Raises
        ``WaitTimeout`` after ``timeout`` seconds, and ``ProcessingFailed`` when the clip
        failed (unless ``raise_on_failure`` is false).
        """
        deadline = time.monotonic() + timeout
        stream = self._clip_stream(clip_id)
        try:
            # Read after subscribing: a change between the two arrives as an event.
            status = self.status(clip_id)
            interval = poll_interval
            while not status.is_final:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WaitTimeout(
                        f"Clip {clip_id} is still {status.status} after {timeout:.0f} s.",
                        code="timeout",
                        details={"status": status.status, "progress": status.progress},
                    )
                if stream is None:
                    time.sleep(min(interval, remaining))
                    interval = min(interval * 1.5, MAX_POLL_SECONDS)
                    status = self.status(clip_id)
                    continue
                try:
                    event = stream.receive(timeout=min(remaining, QUIET_RECHECK_SECONDS))
                except PractikaError:
                    stream.close()
                    stream = None  # the socket is gone for good: poll from here on
                    continue
                if event is None:
                    status = self.status(clip_id)
                elif event.clip_status is not None:
                    if on_event is not None:
                        on_event(event)
                    status = event.clip_status
        finally:
            if stream is not None:
                stream.close()
        if raise_on_failure and not status.is_ready:
            error = status.error
            raise ProcessingFailed(
                error.message if error else f"Clip {clip_id} is {status.status}.",
                code=error.code if error else status.status,
                details={"clip_id": clip_id, "status": status.status},
            )
        return status

    def _clip_stream(self, clip_id: str) -> EventStream | None:
        try:
            return self.events([f"clip:{clip_id}"], max_reconnects=1).open()
        except PractikaError:
            return None  # refused or unreachable: the HTTP status decides (404 included)

    def practice(
        self,
        exercise_id: str,
        path: PathLike,
        *,
        duration_sec: float | None = None,
        wait: bool = True,
        timeout: float = 600.0,
        progress: ProgressCallback | None = None,
        resumable: bool | None = None,
        on_event: Callable[[Event], None] | None = None,
    ) -> Clip:
        """The whole flow of API.md: request an upload, send the file, commit, and (by
        default) wait until the clip is ready. Returns the clip.

        An unfinished resumable upload of the same file to the same exercise (a run that was
        interrupted) is resumed instead of starting a new take. ``duration_sec`` is read from
        the file's header when omitted (MP4/MOV).
        """
        file = Path(path)
        target = self._unfinished_upload(exercise_id, file)
        if target is None:
            target = self.request_upload(
                exercise_id,
                _duration(file, duration_sec),
                filename=file.name,
                size_bytes=file.stat().st_size,
                content_type=_content_type(file),
                sha256=file_sha256(file),
            )
            use_tus = self._use_tus(file, target, resumable)
        else:
            use_tus = True  # the interrupted upload was a tus one: go on with it
        if use_tus:
            assert target.tus_url is not None  # _use_tus checked it
            self._tus().upload(
                tus_url=target.tus_url,
                path=file,
                clip_id=target.clip_id,
                progress=progress,
                exercise_id=exercise_id,
                content_type=_content_type(file),
            )
        else:
            self.upload_file(target, file, progress, resumable=False)
        self.commit(target.clip_id)
        if wait:
            self.wait_ready(target.clip_id, timeout, on_event=on_event)
        return self.clip(target.clip_id)

    def _unfinished_upload(self, exercise_id: str, file: Path) -> UploadTarget | None:
        """The target of this file's interrupted tus upload to this exercise, if any."""
        if self.resume_store is None:
            return None
        record = self.resume_store.load(file)
        if record is None or record.server != self.url or record.exercise_id != exercise_id:
            return None
        try:
            still_open = self.status(record.clip_id).status == "awaiting_upload"
        except NotFound:
            still_open = False
        if not still_open:
            self.resume_store.forget(file)
            return None
        return UploadTarget(clip_id=record.clip_id, url="", tus_url=record.tus_url)

    def _use_tus(self, file: Path, target: UploadTarget, resumable: bool | None) -> bool:
        if not target.tus_url:
            return False
        if resumable is not None:
            return resumable
        return file.stat().st_size >= self.resumable_threshold

    def _tus(self) -> TusUploader:
        return TusUploader(self.transport, store=self.resume_store, chunk_size=self.chunk_size)

    def timeline(self, clip_id: str) -> Timeline:
        """The clip's segments and the markers of the feedback the caller may see, by time."""
        return Timeline.from_json(self._get(f"/api/v1/clips/{clip_id}/timeline/"))

    # --- segments -----------------------------------------------------------------------------
    def segments(self, clip_id: str) -> Iterator[Segment]:
        return self._list(f"/api/v1/clips/{clip_id}/segments/", Segment.from_json)

    def create_segment(
        self, clip_id: str, *, start: float, end: float, title: str | None = None
    ) -> Segment:
        """Cut ``[start, end)`` seconds of a playable clip (instant: nothing is transcoded)."""
        body = _without_none({"start": start, "end": end, "title": title})
        return Segment.from_json(self._post(f"/api/v1/clips/{clip_id}/segments/", body))

    def segment(self, segment_id: str) -> Segment:
        return Segment.from_json(self._get(f"/api/v1/segments/{segment_id}/"))

    def update_segment(
        self,
        segment_id: str,
        *,
        start: float | None = None,
        end: float | None = None,
        title: str | None = None,
    ) -> Segment:
        changes = _without_none({"start": start, "end": end, "title": title})
        return Segment.from_json(self._patch(f"/api/v1/segments/{segment_id}/", changes))

    def delete_segment(self, segment_id: str) -> None:
        self.transport.request("DELETE", f"/api/v1/segments/{segment_id}/")

    def segment_streams(self, segment_id: str) -> SegmentStreams:
        return SegmentStreams.from_json(self._get(f"/api/v1/segments/{segment_id}/streams/"))

    def export_segment(self, segment_id: str) -> Segment:
        """Start a frame-accurate MP4 export (a job); ``wait_export`` waits for its URL."""
        return Segment.from_json(self._post(f"/api/v1/segments/{segment_id}/export/"))

    def wait_export(
        self, segment_id: str, timeout: float = 600.0, *, poll_interval: float = 1.0
    ) -> Segment:
        """Poll the segment until its export is ready; raises ``ProcessingFailed`` or
        ``WaitTimeout``."""
        deadline = time.monotonic() + timeout
        while True:
            segment = self.segment(segment_id)
            export = segment.export
            if export is not None and export.status == "ready":
                return segment
            if export is not None and export.status == "failed":
                raise ProcessingFailed(
                    export.error.message if export.error else "The export failed.",
                    code=export.error.code if export.error else "export_failed",
                    details={"segment_id": segment_id},
                )
            if time.monotonic() >= deadline:
                raise WaitTimeout(
                    f"The export of segment {segment_id} is not ready after {timeout:.0f} s.",
                    code="timeout",
                )
            time.sleep(poll_interval)
            poll_interval = min(poll_interval * 1.5, MAX_POLL_SECONDS)

    # --- feedback -----------------------------------------------------------------------------
    def clip_feedback(self, clip_id: str) -> Iterator[Feedback]:
        """The feedback on a take: published only for its owner, drafts too for teachers."""
        return self._list(f"/api/v1/clips/{clip_id}/feedback/", Feedback.from_json)

    def create_feedback(
        self,
        clip_id: str,
        *,
        summary: str = "",
        segment_id: str | None = None,
        scores: Mapping[str, int] | None = None,
        markers: Sequence[NewMarker] = (),
    ) -> Feedback:
        """A draft feedback with its rubric ``scores`` (criterion id to score) and markers,
        created all or nothing. Teachers of the course and admins only."""
        body: dict[str, Any] = {"summary": summary, "markers": [m.to_json() for m in markers]}
        if segment_id is not None:
            body["segment_id"] = segment_id
        if scores:
            body["scores"] = _scores(scores)
        return Feedback.from_json(self._post(f"/api/v1/clips/{clip_id}/feedback/", body))

    def feedback(self, feedback_id: str) -> Feedback:
        return Feedback.from_json(self._get(f"/api/v1/feedback/{feedback_id}/"))

    def update_feedback(
        self,
        feedback_id: str,
        *,
        summary: str | None = None,
        scores: Mapping[str, int] | None = None,
    ) -> Feedback:
        """Change the summary, or replace every score."""
        body: dict[str, Any] = _without_none({"summary": summary})
        if scores is not None:
            body["scores"] = _scores(scores)
        return Feedback.from_json(self._patch(f"/api/v1/feedback/{feedback_id}/", body))

    def delete_feedback(self, feedback_id: str) -> None:
        self.transport.request("DELETE", f"/api/v1/feedback/{feedback_id}/")

    def publish_feedback(self, feedback_id: str) -> Feedback:
        """Show the feedback to the take's owner (409 when published already)."""
        return Feedback.from_json(self._post(f"/api/v1/feedback/{feedback_id}/publish/"))

    def markers(self, feedback_id: str) -> list[Marker]:
        return parse_list(Marker, self._get(f"/api/v1/feedback/{feedback_id}/markers/"))

    def add_marker(self, feedback_id: str, marker: NewMarker) -> Marker:
        path = f"/api/v1/feedback/{feedback_id}/markers/"
        return Marker.from_json(self._post(path, marker.to_json()))

    def update_marker(self, marker_id: str, **changes: Any) -> Marker:
        """Change some of ``time``, ``end_time``, ``kind``, ``text``, ``drawing``,
        ``criterion_id``."""
        return Marker.from_json(self._patch(f"/api/v1/markers/{marker_id}/", changes))

    def delete_marker(self, marker_id: str) -> None:
        self.transport.request("DELETE", f"/api/v1/markers/{marker_id}/")

    def request_reply(
        self,
        feedback_id: str,
        duration_sec: float,
        *,
        filename: str | None = None,
        size_bytes: int | None = None,
        content_type: str | None = None,
        sha256: str | None = None,
    ) -> UploadTarget:
        """The upload target of the feedback's video reply (answers like ``request_upload``;
        replaces an earlier reply)."""
        body: dict[str, Any] = {"duration_sec": duration_sec}
        body |= _without_none(
            {
                "filename": filename,
                "size_bytes": size_bytes,
                "content_type": content_type,
                "sha256": sha256,
            }
        )
        return UploadTarget.from_json(self._post(f"/api/v1/feedback/{feedback_id}/reply/", body))

    def reply(
        self,
        feedback_id: str,
        path: PathLike,
        *,
        duration_sec: float | None = None,
        wait: bool = True,
        timeout: float = 600.0,
        progress: ProgressCallback | None = None,
        resumable: bool | None = None,
    ) -> Clip:
        """Upload a video reply to a feedback, commit it and (by default) wait until ready."""
        file = Path(path)
        duration = _duration(file, duration_sec)
        target = self.request_reply(
            feedback_id,
            duration,
            filename=file.name,
            size_bytes=file.stat().st_size,
            content_type=_content_type(file),
            sha256=file_sha256(file),
        )
        self.upload_file(target, file, progress, resumable=resumable)
        self.commit(target.clip_id)
        if wait:
            self.wait_ready(target.clip_id, timeout)
        return self.clip(target.clip_id)

    def attempts(self, exercise_id: str, *, student: str | None = None) -> Iterator[Attempt]:
        """Every take of the exercise with counts and mean scores (a progress chart)."""
        return self._list(
            f"/api/v1/exercises/{exercise_id}/attempts/", Attempt.from_json, {"student": student}
        )

    def review_queue(
        self, *, course: str | None = None, exercise: str | None = None
    ) -> Iterator[ReviewItem]:
        """Ready takes waiting for feedback in the courses the caller teaches, oldest first."""
        params = {"course": course, "exercise": exercise}
        return self._list("/api/v1/review-queue/", ReviewItem.from_json, params)

    # --- threads ------------------------------------------------------------------------------
    def segment_threads(self, segment_id: str) -> Iterator[Thread]:
        return self._list(f"/api/v1/segments/{segment_id}/threads/", Thread.from_json)

    def create_thread(
        self,
        segment_id: str,
        *,
        title: str,
        body: str | None = None,
        video_time: float | None = None,
    ) -> Thread:
        """A thread on a segment, with a first message when ``body`` is given."""
        data = _without_none({"title": title, "body": body, "video_time": video_time})
        return Thread.from_json(self._post(f"/api/v1/segments/{segment_id}/threads/", data))

    def thread(self, thread_id: str) -> Thread:
        return Thread.from_json(self._get(f"/api/v1/threads/{thread_id}/"))

    def update_thread(
        self, thread_id: str, *, title: str | None = None, resolved: bool | None = None
    ) -> Thread:
        changes = _without_none({"title": title, "resolved": resolved})
        return Thread.from_json(self._patch(f"/api/v1/threads/{thread_id}/", changes))

    def messages(self, thread_id: str, *, since: int | None = None) -> Iterator[Message]:
        """What changed after ``since`` (every message when omitted), in the order of the
        changes, over as many pages as it takes. Sort by ``seq`` for thread order."""
        return self._list(
            f"/api/v1/threads/{thread_id}/messages/", Message.from_json, {"since": since}
        )

    def post_message(
        self, thread_id: str, body: str, *, video_time: float | None = None
    ) -> Message:
        data = _without_none({"body": body, "video_time": video_time})
        return Message.from_json(self._post(f"/api/v1/threads/{thread_id}/messages/", data))

    def message(self, message_id: str) -> Message:
        return Message.from_json(self._get(f"/api/v1/messages/{message_id}/"))

    def edit_message(
        self,
        message_id: str,
        *,
        body: str | None = None,
        video_time: float | None = None,
        clear_video_time: bool = False,
    ) -> Message:
        """Edit your own message; ``clear_video_time`` removes its video time."""
        changes: dict[str, Any] = _without_none({"body": body, "video_time": video_time})
        if clear_video_time:
            changes["video_time"] = None
        return Message.from_json(self._patch(f"/api/v1/messages/{message_id}/", changes))

    def delete_message(self, message_id: str) -> None:
        """Delete your own message (the thread keeps a tombstone)."""
        self.transport.request("DELETE", f"/api/v1/messages/{message_id}/")

    # --- notifications ------------------------------------------------------------------------
    def notifications(
        self, *, unread: bool | None = None, kind: str | None = None
    ) -> Iterator[Notification]:
        params: dict[str, Any] = {"kind": kind}
        if unread is not None:
            params["unread"] = "true" if unread else "false"
        return self._list("/api/v1/notifications/", Notification.from_json, params)

    def notification(self, notification_id: str) -> Notification:
        return Notification.from_json(self._get(f"/api/v1/notifications/{notification_id}/"))

    def unread_count(self) -> int:
        return int(self._get("/api/v1/notifications/unread-count/")["unread_count"])

    def mark_read(
        self, ids: Sequence[str] | None = None, *, everything: bool = False
    ) -> MarkedRead:
        """Mark these notifications (or, with ``everything``, all of them) as read."""
        body: dict[str, Any] = {"all": everything}
        if ids:
            body["ids"] = list(ids)
        return MarkedRead.from_json(
            self.transport.request("POST", "/api/v1/notifications/read/", json=body)
        )

    # --- live events --------------------------------------------------------------------------
    def events(
        self,
        topics: Sequence[str],
        since: Since = None,
        *,
        types: Collection[str] | None = None,
        max_reconnects: int = 10,
    ) -> EventStream:
        """Live events of ``topics`` (``clip:<id>``, ``thread:<id>``, ``user:<id>``).

        Iterate the stream (it reconnects and replays by itself) and close it when done::

            with client.events([f"thread:{thread_id}"]) as stream:
                for event in stream:
                    print(event.type, event.data)

        ``since`` is a ``seq`` (for every topic) or a mapping of topic to ``seq``: events
        after it are replayed first, where the topic keeps them (threads do). ``types``
        keeps only those event types (e.g. ``practika.MESSAGE_EVENTS``).
        """
        return EventStream(
            ws_url=self.ws_url,
            token=self.token,
            topics=topics,
            since=since,
            open_timeout=_connect_timeout(self.transport.timeout),
            retry=self.transport.retry,
            max_reconnects=max_reconnects,
            types=types,
        )

    # --- helpers ------------------------------------------------------------------------------
    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.transport.request("GET", path, params=params)

    def _post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        return self.transport.request("POST", path, json=dict(body or {}))

    def _patch(self, path: str, body: Mapping[str, Any]) -> Any:
        return self.transport.request("PATCH", path, json=dict(body))

    def _list(
        self,
        path: str,
        parse: Callable[[Mapping[str, Any]], Any],
        params: Mapping[str, Any] | None = None,
    ) -> Iterator[Any]:
        return self.transport.paginate(path, parse, params, page_size=self.page_size)


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _duration(file: Path, duration_sec: float | None) -> float:
    duration = duration_sec if duration_sec is not None else probe_duration(file)
    if duration is None:
        raise PractikaError(
            f"Cannot read the duration of {file.name}; pass duration_sec.",
            code="duration_unknown",
        )
    return duration


def _scores(scores: Mapping[str, int]) -> list[dict[str, Any]]:
    return [{"criterion_id": criterion, "score": score} for criterion, score in scores.items()]


def _as_target(upload_data: UploadData) -> UploadTarget:
    if isinstance(upload_data, UploadTarget):
        return upload_data
    return UploadTarget.from_json(upload_data)


def _content_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _connect_timeout(timeout: Timeout) -> float:
    return timeout[0] if isinstance(timeout, tuple) else timeout
