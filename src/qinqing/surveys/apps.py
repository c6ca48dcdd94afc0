from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "qinqing.surveys"
    label = "surveys"
    verbose_name = "满意度调查"

    def ready(self) -> None:
        from qinqing.demands import notifications
        from qinqing.surveys import answering, metrics  # noqa: F401 - registers the metrics and the job
        from qinqing.surveys.sms import SmsChannel

        if "sms" not in notifications.CHANNELS:
            notifications.register_channel("sms", SmsChannel())
