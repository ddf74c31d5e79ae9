"""The workshop room: the guided interview, estimate sheets and their merge, the live page
for the projector, and what changed between two versions of a plan. The core commands
(check, analyze, report) need none of it."""
