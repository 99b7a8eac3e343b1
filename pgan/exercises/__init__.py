"""Self-checks for the notebooks' exercises: one line of feedback, never a traceback.

Each ``check_...`` takes the learner's answer (a function), runs it on fixed
inputs, compares the result with pgan's reference, prints one line starting with
"Correct: " or "Not yet: " (with a hint), and returns True or False. A checker
never raises: a stub that still raises ``NotImplementedError``, an answer that
crashes, returns ``None`` or returns the wrong kind of thing all get a
"Not yet" line. Every check runs in well under two seconds on a CPU.

The checks live in one module per part of the course, all importable from here
(``from pgan.exercises import check_scaling``):

| module | notebooks |
|---|---|
| :mod:`pgan.exercises.images` | 00 welcome, 01 product images, 02 CNN foundations |
| :mod:`pgan.exercises.gan` | 03 GAN theory, 04 building the DCGAN |
| :mod:`pgan.exercises.training` | 05 training |
| :mod:`pgan.exercises.evaluation` | 06 evaluation |
| :mod:`pgan.exercises.enhancement` | 07 super-resolution, 08 restoration |
| :mod:`pgan.exercises.stability` | 09 stabilizing training |
| :mod:`pgan.exercises.conditional` | 10 conditional products |
| :mod:`pgan.exercises.explorer` | 11 interactive explorer |
| :mod:`pgan.exercises.flow` | 12 flow matching |
"""

from pgan.exercises.conditional import *  # noqa: F403
from pgan.exercises.enhancement import *  # noqa: F403
from pgan.exercises.evaluation import *  # noqa: F403
from pgan.exercises.explorer import *  # noqa: F403
from pgan.exercises.flow import *  # noqa: F403
from pgan.exercises.gan import *  # noqa: F403
from pgan.exercises.images import *  # noqa: F403
from pgan.exercises.stability import *  # noqa: F403
from pgan.exercises.training import *  # noqa: F403

# Every checker, by name (the tests and the handouts use this list).
CHECKS = sorted(name for name in dir() if name.startswith("check_"))
