"""Waiting on page text in a way that survives the page being replaced under the check.

Selenium's own ``text_to_be_present_in_element`` ignores only stale elements. When a form posts and
the browser navigates between finding the element and reading its text, Chromium's driver answers
with a plain ``WebDriverException`` ("Node with given id does not belong to the document"), which
ended a wait that would have succeeded a moment later. These checks treat that as "not yet".
"""
from __future__ import annotations

from typing import Callable

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.remote.webdriver import WebDriver

_NAVIGATING = ("does not belong to the document", "no such execution context", "target frame detached")


def shows_text(locator: tuple[str, str], text: str) -> Callable[[WebDriver], bool]:
    """True once the element at ``locator`` contains ``text``; False while it is missing or being replaced."""
    def check(driver: WebDriver) -> bool:
        try:
            return text in driver.find_element(*locator).text
        except (NoSuchElementException, StaleElementReferenceException):
            return False
        except WebDriverException as exc:
            if any(sign in str(exc) for sign in _NAVIGATING):
                return False
            raise
    return check
