"""gunicorn settings for a plain ``gunicorn`` command, as ``corridor serve`` sets them:
``gunicorn -c python:web.gunicorn_conf --preload 'web:create_app()'``.

Only the hook that matters to a preloaded app is here (:func:`web.serve.freeze_before_fork`
as ``pre_fork``); workers, binding and the rest stay on the command line. The benchmarks
start every server they compare, ours and its peers, with this file.
"""

from web.serve import freeze_before_fork as pre_fork

__all__ = ["pre_fork"]
