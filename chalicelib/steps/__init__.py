"""The workflow's task steps: one small function per Task state of statemachine.asl.json.

Each takes the state input (``event``) and its seams as keyword arguments, and returns what the
state's ``ResultPath`` stores. Only S3 keys and ids travel between states, never content.
"""
