"""Layout helpers shared by every feature's views: htmx-aware rendering, pagination, errors."""
