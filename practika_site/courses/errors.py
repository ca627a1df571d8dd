"""Domain errors of the courses app; the API renders them through core's one handler."""

from practika_site.core.errors import Conflict, Forbidden, NotFound


class EnrollmentRoleConflict(Conflict):
    code = "enrollment_role_conflict"
    default_message = "You are already in this course with another role."


class TeacherEnrollmentLocked(Forbidden):
    code = "teacher_enrollment_locked"
    default_message = "Teachers are enrolled and removed by an admin."


class NotEnrolled(NotFound):
    code = "not_enrolled"
    default_message = "You are not enrolled in this course."
