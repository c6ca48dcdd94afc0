"""Qinqing (亲清): investment promotion and business-environment platform."""

__version__ = "0.1.0"
