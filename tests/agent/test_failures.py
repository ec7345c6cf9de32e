"""Turn failures: every exception becomes a stable code, and every code has its HTTP status."""

import asyncio

import httpx2
import openai

from agent.failures import CodedError, TurnErrorCode, classify
from backend.errors import TURN_STATUS


def test_every_code_has_a_status_and_none_is_guessed() -> None:
    assert set(TURN_STATUS) == set(TurnErrorCode)
    assert TURN_STATUS[TurnErrorCode.model_timeout] == TURN_STATUS[TurnErrorCode.turn_timeout] == 504


class Wrapper(Exception):
    pass


async def test_a_cycle_of_causes_is_classified_not_looped() -> None:
    # What respx did: the original re-raised from its wrapper, itself raised from the original.
    original = httpx2.ReadTimeout("slow")
    wrapper = Wrapper("wrapped")
    wrapper.__cause__, original.__cause__ = original, wrapper
    failure = await asyncio.wait_for(asyncio.to_thread(classify, wrapper), 5)
    assert failure.code == TurnErrorCode.internal_error


def test_an_error_that_knows_its_code_is_found_in_the_chain() -> None:
    class Mismatch(CodedError):
        code = TurnErrorCode.replay_mismatch

    inner = Mismatch("request 2 differs")
    outer = openai.APIConnectionError(request=httpx2.Request("POST", "http://x"))
    outer.__cause__ = inner
    failure = classify(outer)
    assert (failure.code, failure.message) == (TurnErrorCode.replay_mismatch, "request 2 differs")


def test_the_turn_deadline_wins_over_what_it_interrupted() -> None:
    assert classify(TimeoutError(), deadline_expired=True).code == TurnErrorCode.turn_timeout
    assert classify(httpx2.ReadTimeout("slow")).code == TurnErrorCode.model_timeout
