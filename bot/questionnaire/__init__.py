"""The pre-screening questionnaire in chat: reading answers, choosing the next question, wording."""
