"""Run the routing worker: `python -m services.routing` (settings from ROUTING_* env)."""

from __future__ import annotations

from faust.worker import Worker

from services.routing.bootstrap import create_app
from services.routing.settings import RoutingSettings


def main() -> None:
    settings = RoutingSettings()
    app = create_app(settings)
    logging_config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "shared.logs.JsonFormatter", "service": "routing"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": settings.log_level, "handlers": ["stderr"]},
        "loggers": {"aiokafka": {"level": "WARNING"}},
    }
    Worker(app, loglevel=settings.log_level, logging_config=logging_config,
           redirect_stdouts=False).execute_from_commandline()


if __name__ == "__main__":
    main()
