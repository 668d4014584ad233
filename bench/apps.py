from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmark's demo-data generator (`manage.py generate_demo_data`); no models."""

    name = "bench"
    verbose_name = "Benchmark"
