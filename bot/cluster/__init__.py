"""Rasa's distributed set-up on loopback (`make run-cluster`): the topology, its supervisor and runner."""
