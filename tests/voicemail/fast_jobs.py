"""The scheduler's voicemail and mail jobs at a one-second tick, for a test's own scheduler process."""
from console.jobs.registry import Job, find

FAST_JOBS = [Job(job.id, job.func, 1) for job in map(find, ("voicemail.process", "mail.deliver"))]
