"""The cycler-language protocol text: parsing to SI step objects, errors, round trip.

The accepted forms are the examples of the protocol-text issue; the SI values
follow from 1 mA/g = 1 A/kg, 1 mAh/g = 3600 C/kg, 1 min = 60 s (see
``metalair.units``).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metalair.errors import ProtocolError
from metalair.protocols.parser import ACCEPTED_FORMS, as_protocol, format_protocol, parse_protocol
from metalair.protocols.steps import Charge, Cycle, Discharge, Hold, Protocol, Rest, Sweep, flatten

ONE_CYCLE = (
    "(Discharge at 500 mA/g for 500 mAh/g or until 1.5 V; "
    "Charge at 500 mA/g for 500 mAh/g or until 4.8 V) x 1000"
)

FORMS = [
    ("Discharge at 100 mA/g until 1.5 V", Discharge(current_A_per_kg=100.0, until=1.5)),
    ("Charge at 100 mA/g until 4.8 V", Charge(current_A_per_kg=100.0, until=4.8)),
    (
        "Discharge at 500 mA/g for 500 mAh/g or until 1.5 V",
        Discharge(current_A_per_kg=500.0, capacity_C_per_kg=1.8e6, until=1.5),
    ),
    ("Discharge at 500 mA/g until 1.5 V or 500 mAh/g",
     Discharge(current_A_per_kg=500.0, capacity_C_per_kg=1.8e6, until=1.5)),
    ("Discharge at 100 mA/g for 10 h", Discharge(current_A_per_kg=100.0, duration_s=36000.0)),
    ("Discharge at 100 mA/g for 30 min", Discharge(current_A_per_kg=100.0, duration_s=1800.0)),
    ("Discharge at 100 mA/g for 2 h or until 2.0 V", Discharge(current_A_per_kg=100.0, duration_s=7200.0, until=2.0)),
    ("Rest for 30 min", Rest(duration_s=1800.0)),
    ("Hold at 4.5 V until 10 mA/g", Hold(voltage=4.5, until_current_A_per_kg=10.0)),
    ("Hold at 4.5 V for 1 h", Hold(voltage=4.5, duration_s=3600.0)),
    ("Hold at 4.5 V until 10 mA/g or 2 h", Hold(voltage=4.5, until_current_A_per_kg=10.0, duration_s=7200.0)),
    (
        ONE_CYCLE,
        Cycle(
            [Discharge(current_A_per_kg=500.0, capacity_C_per_kg=1.8e6, until=1.5),
             Charge(current_A_per_kg=500.0, capacity_C_per_kg=1.8e6, until=4.8)],
            repeat=1000,
        ),
    ),
    ("Sweep 1.5-4.5 V at 0.1 mV/s", Sweep(scan_rate_V_per_s=1e-4, lower=1.5, upper=4.5)),
    (
        "CV from 1.5 V to 4.5 V at 0.1 mV/s for 3 cycles",
        Sweep(scan_rate_V_per_s=1e-4, lower=1.5, upper=4.5, cycles=3),
    ),
]


@pytest.mark.parametrize(("text", "expected"), FORMS, ids=[t for t, _ in FORMS])
def test_each_issue_form_gives_the_step_with_si_values(text, expected):
    assert parse_protocol(text) == Protocol([expected])


def test_user_units_become_si():
    discharge, rest = parse_protocol("Discharge at 100 mA/g for 500 mAh/g; Rest for 30 min").steps
    assert discharge.current == 100.0  # A/kg
    assert discharge.capacity == 1.8e6  # C/kg
    assert rest.duration == 1800.0  # s
    (sweep,) = parse_protocol("Sweep 1500-4500 mV at 0.5 V/s").steps
    assert (sweep.lower, sweep.upper, sweep.scan_rate) == (1.5, 4.5, 0.5)
    (charge,) = parse_protocol("Charge at 0.2 A/g until 4.8 V").steps
    assert charge.current == 200.0


@pytest.mark.parametrize(
    "text",
    [
        "discharge at 100 mA/g until 1.5 V",
        "DISCHARGE AT 100 mA/G UNTIL 1.5 V",
        "Discharge at 100 ma/g until 1.5 v",
        "Discharge at 100mA/g until 1.5V",
        "  Discharge   at 100 mA / g   until 1.5 V .",
        "Discharge at 100 mA g-1 until 1.5 V.",
        "Discharge 100 mA/g to 1.5 V",
        "Discharge at 100 mA/g down to 1500 mV",
    ],
)
def test_case_spacing_and_trailing_period_do_not_matter(text):
    assert parse_protocol(text) == Protocol([Discharge(current_A_per_kg=100.0, until=1.5)])


@pytest.mark.parametrize(("text", "meant"), [
    ("Discharge at 100 MA/g until 1.5 V", "mA/g"),  # MA/g is mega-amperes per gram
    ("Discharge at 100 mA/g until 1.5 MV", "mV"),
    ("Rest for 30 MS", "ms"),
    ("Sweep 1.5-4.5 V at 0.1 MV/s", "mV/s"),
    ("Discharge at 100 mA/g for 500 MAH/G", "mAh/g"),
])
def test_a_prefix_in_the_wrong_case_is_refused_not_read_as_the_other(text, meant):
    """m is milli and M mega: 'until 1.5 MV' had been read as 0.0015 V, '1 MA/g' as 1 mA/g."""
    with pytest.raises(ProtocolError, match=f"units are case-sensitive in their prefix.*did you mean '{meant}'"):
        parse_protocol(text)


def test_units_without_a_prefix_stay_case_insensitive():
    assert parse_protocol("Rest for 30 MIN") == parse_protocol("Rest for 30 Min") == parse_protocol("Rest for 30 min")
    assert parse_protocol("Rest for 2 H") == parse_protocol("Rest for 2 h")


@pytest.mark.parametrize(
    "text",
    [
        "Sweep 1.5-4.5 V at 0.1 mV/s for 3 cycles",
        "CV from 1.5 V to 4.5 V at 0.1 mV/s for 3 cycles",
        "cv between 1.5 and 4.5 V at 0.1 mV s-1, 3 cycles",
        "Cyclic voltammetry 1.5 V - 4.5 V at 0.1 mV/s x 3",
        "Sweep at 0.1 mV/s from 1.5 to 4.5 V for 3 cycles",
    ],
)
def test_sweep_spellings(text):
    assert parse_protocol(text) == Protocol([Sweep(scan_rate_V_per_s=1e-4, lower=1.5, upper=4.5, cycles=3)])


def test_sweep_direction_and_start():
    (sweep,) = parse_protocol("Sweep 1.5-4.5 V at 1 mV/s, first up, starting at 3.0 V").steps
    assert (sweep.first, sweep.start) == ("up", 3.0)


def test_steps_split_on_newlines_and_semicolons_with_comments_and_blank_lines():
    text = """
    # formation
    Rest for 1 h;  Discharge at 50 mA/g until 1.5 V

    Charge at 50 mA/g until 4.8 V   # first charge
    """
    assert parse_protocol(text) == Protocol(
        [Rest(duration_s=3600.0), Discharge(current_A_per_kg=50.0, until=1.5), Charge(current_A_per_kg=50.0, until=4.8)]
    )


@pytest.mark.parametrize("suffix", ["x 5", "X5", "× 5", "*5", "repeat 5 times", "x 5.", "5 times"])
def test_repeat_spellings(suffix):
    (cycle,) = parse_protocol(f"(Rest for 1 h; Charge at 1 A/g until 4 V) {suffix}").steps
    assert cycle == Cycle([Rest(duration_s=3600.0), Charge(current_A_per_kg=1000.0, until=4.0)], repeat=5)


def test_nested_cycles_over_several_lines():
    text = """
    Rest for 30 min
    (
        (Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V) x 2
        Hold at 4.5 V until 10 mA/g or 2 h
    ) x 10
    """
    inner = Cycle([Discharge(current_A_per_kg=100.0, until=1.5), Charge(current_A_per_kg=100.0, until=4.8)], repeat=2)
    hold = Hold(voltage=4.5, until_current_A_per_kg=10.0, duration_s=7200.0)
    assert parse_protocol(text) == Protocol([Rest(duration_s=1800.0), Cycle([inner, hold], repeat=10)])


def test_label_prefix():
    (step,) = parse_protocol("formation: Discharge at 50 mA/g until 1.5 V").steps
    assert step == Discharge(current_A_per_kg=50.0, until=1.5, label="formation")


def test_every_example_in_accepted_forms_parses():
    examples = [line.split("e.g.", 1)[1].strip() for line in ACCEPTED_FORMS.splitlines() if "e.g." in line]
    assert len(examples) >= 10
    for example in examples:
        assert parse_protocol(example).steps


# ---------------------------------------------------------------------------
# errors


def _error(text: str) -> str:
    with pytest.raises(ProtocolError) as info:
        parse_protocol(text)
    return str(info.value)


def test_unknown_verb_suggests_the_closest():
    message = _error("Rest for 1 h\nDischrge at 100 mA/g until 1.5 V")
    assert "'Dischrge at 100 mA/g until 1.5 V'" in message
    assert "line 2, step 2" in message
    assert "did you mean 'Discharge'?" in message
    assert "e.g. Discharge at 100 mA/g until 1.5 V" in message  # the accepted forms follow


def test_missing_current_says_what_was_expected():
    message = _error("Discharge at until 1.5 V")
    assert "'Discharge at until 1.5 V'" in message
    assert "a current like '100 mA/g' after 'at'" in message
    assert ACCEPTED_FORMS in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Discharge at 100 mA/g", "a limit"),
        ("Discharge at 100 mA/g untill 1.5 V", "did you mean 'until'?"),
        ("Discharge at 100 mAh/g until 1.5 V", "which is a specific capacity"),
        ("Discharge at 100 until 1.5 V", "'100' without a unit"),
        ("Discharge at 100 mA/g until 1.5 V or until 2 V", "two voltage limits"),
        ("Rest", "a time like '30 min'"),
        ("Hold at 4.5 V until 2 V", "a current like '100 mA/g' or a time like '30 min'"),
        ("Sweep 1.5-4.5 V", "no scan rate"),
        ("Sweep at 1 mV/s", "no voltage range"),
        ("Rest for 1 h x 3", "put them in parentheses"),
        ("100 mA/g until 1.5 V", "a step starts with its name"),
    ],
)
def test_syntax_errors_quote_the_step_and_list_the_forms(text, expected):
    message = _error(text)
    assert f"'{text}'" in message
    assert expected in message
    assert "e.g. Rest for 30 min" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(Rest for 1 h) x 0", "got '0'"),
        ("(Rest for 1 h) x -3", "got '-3'"),
        ("(Rest for 1 h) x 1.5", "got '1.5'"),
        ("(Rest for 1 h)", "has no repeat count"),
        ("(Rest for 1 h) x many", "got 'many'"),
        ("Rest for 1 h\n(Rest for 1 h; Charge at 1 A/g until 4 V", "never closed"),
        ("Rest for 1 h) x 2", "')' without a matching '('"),
        ("() x 2", "has no steps"),
        ("10 x (Rest for 1 h)", "write the repeat count after the group"),
        ("(Rest for 1 h) x 2 (Rest for 2 h) x 2", "put ';' or a new line between steps"),
    ],
)
def test_bad_groups_and_repeat_counts(text, expected):
    message = _error(text)
    assert expected in message
    assert "line " in message
    assert "e.g. (Discharge at 500 mA/g" in message


def test_unclosed_group_names_the_line_it_opened_on():
    message = _error("Rest for 1 h\n(Rest for 1 h; Charge at 1 A/g until 4 V")
    assert "line 2: cannot read '(Rest for 1 h; Charge at 1 A/g until 4 V'" in message


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Discharge at -100 mA/g until 1.5 V", "'current'"),
        ("Charge at 100 mA/g until 7 V", "'until'"),
        ("Rest for 0 s", "'duration'"),
        ("Sweep 4.5-1.5 V at 1 mV/s", "must be below upper"),
        ("Sweep 1.5-4.5 V at 1 mV/s for 0 cycles", "cycles = 0"),
    ],
)
def test_impossible_values_are_refused_by_the_step_with_the_line_quoted(text, field):
    message = _error(f"Rest for 1 h\n{text}")
    assert f"line 2, step 2: '{text}'" in message
    assert field in message


def test_empty_text_and_non_text():
    assert "no steps" in _error("  \n # only a comment\n;")
    with pytest.raises(ProtocolError, match="needs text"):
        parse_protocol(Rest(duration_s=1.0))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# writing back


@pytest.mark.parametrize(
    "text",
    [
        "Discharge at 100 mA/g until 1.5 V",
        "Discharge at 500 mA/g for 500 mAh/g or until 1.5 V",
        "Discharge at 100 mA/g for 30 min",
        "Hold at 4.5 V until 10 mA/g or 2 h",
        "Hold at 4.5 V for 1 h",
        "Rest for 30 min",
        ONE_CYCLE,
        "Sweep 1.5-4.5 V at 0.1 mV/s for 3 cycles",
        "formation: Charge at 50 mA/g until 4.8 V",
    ],
)
def test_format_writes_the_familiar_text(text):
    assert format_protocol(parse_protocol(text)) == text


@pytest.mark.parametrize(("text", "expected"), FORMS, ids=[t for t, _ in FORMS])
def test_round_trip_of_each_form(text, expected):
    protocol = parse_protocol(text)
    assert parse_protocol(format_protocol(protocol)) == protocol


def test_values_are_written_in_user_units_never_c_per_kg():
    steps = [Rest(duration_s=1234.5678), Discharge(current_A_per_kg=1.0, capacity_C_per_kg=1.0 / 3.0),
             Sweep(scan_rate_V_per_s=1e-300, lower=1.0, upper=2.0)]
    text = format_protocol(steps)
    assert "1234.5678 s" in text
    assert "C/kg" not in text and "mAh/g" in text
    back = list(flatten(parse_protocol(text).steps))
    assert [type(s) for _c, s in back] == [Rest, Discharge, Sweep]
    assert back[1][1].capacity == pytest.approx(1.0 / 3.0, rel=1e-15)


def test_bare_capacity_is_refused_and_printed_as_the_user_wrote_it():
    with pytest.raises(ProtocolError, match=r"capacity=500 is ambiguous: write capacity='500 mAh/g' "
                                            r"\(or give SI with capacity_C_per_kg=500\)"):
        Discharge(100, capacity=500, until=1.5)
    with pytest.raises(ProtocolError, match="current=100 is ambiguous"):
        Discharge(100, capacity="500 mAh/g", until=1.5)
    text = format_protocol(Discharge("100 mA/g", capacity="500 mAh/g", until=1.5))
    assert text == "Discharge at 100 mA/g for 500 mAh/g or until 1.5 V"


def test_unwritable_label_is_refused():
    with pytest.raises(ProtocolError, match="cannot be written"):
        format_protocol(Rest(duration_s=60.0, label="a; b"))


def _positive(upper: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=0.0, max_value=upper, exclude_min=True, allow_nan=False, allow_infinity=False)


currents = _positive(1e5) | st.sampled_from([10.0, 50.0, 100.0, 500.0, 1000.0])
potentials = st.floats(min_value=0.0, max_value=6.0, exclude_min=True, exclude_max=True) | st.sampled_from(
    [1.5, 2.0, 4.5, 4.8]
)
# capacities as a user writes them (mAh/g); they read back exactly
capacities = (_positive(1e11) | st.sampled_from([1.0, 500.0, 0.7, 1.0 / 3.0])).map(lambda v: f"{v!r} mAh/g")
durations = _positive(1e12) | st.sampled_from([1.0, 90.0, 1800.0, 5400.0, 36000.0])
labels = st.sampled_from(["", "", "formation", "Step 1", "C/10 conditioning", "ageing-2."])


@st.composite
def galvanostatic(draw):
    cls = draw(st.sampled_from([Discharge, Charge]))
    until, capacity, duration = (draw(st.none() | s) for s in (potentials, capacities, durations))
    if until is None and capacity is None and duration is None:
        until = draw(potentials)
    return cls(current_A_per_kg=draw(currents), until=until, capacity=capacity, duration_s=duration,
               label=draw(labels))


@st.composite
def holds(draw):
    until_current, duration = draw(st.none() | currents), draw(st.none() | durations)
    if until_current is None and duration is None:
        duration = draw(durations)
    return Hold(voltage=draw(potentials), until_current_A_per_kg=until_current, duration_s=duration,
                label=draw(labels))


@st.composite
def sweeps(draw):
    lower, upper = sorted(draw(st.lists(potentials, min_size=2, max_size=2, unique=True)))
    return Sweep(
        scan_rate_V_per_s=draw(_positive(10.0) | st.sampled_from([1e-4, 1e-3])),
        lower=lower,
        upper=upper,
        cycles=draw(st.integers(1, 50)),
        first=draw(st.sampled_from(["up", "down"])),
        start=draw(st.none() | st.floats(lower, upper)),
        label=draw(labels),
    )


rests = st.builds(Rest, duration_s=durations, label=labels)
leaf_steps = galvanostatic() | holds() | sweeps() | rests
steps = st.recursive(
    leaf_steps,
    lambda children: st.builds(Cycle, st.lists(children, min_size=1, max_size=3), repeat=st.integers(1, 10**6)),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(steps, min_size=1, max_size=4).map(Protocol))
def test_round_trip_of_random_protocols(protocol):
    assert parse_protocol(format_protocol(protocol)) == protocol


# ---------------------------------------------------------------------------
# as_protocol


def test_as_protocol_accepts_protocols_steps_lists_and_text():
    rest, charge = Rest(duration_s=60.0), Charge(current_A_per_kg=100.0, until=4.8)
    protocol = Protocol([rest, charge])
    assert as_protocol(protocol) is protocol
    assert as_protocol(rest) == Protocol([rest])
    assert as_protocol([rest, charge]) == protocol
    assert as_protocol((rest, "Charge at 100 mA/g until 4.8 V")) == protocol
    assert as_protocol("Rest for 1 min; Charge at 100 mA/g until 4.8 V") == protocol


@pytest.mark.parametrize(("obj", "expected"), [(42, "cannot make a protocol"), ([], "empty list"), ([1], "item 1")])
def test_as_protocol_refuses_other_things(obj, expected):
    with pytest.raises(ProtocolError, match=expected):
        as_protocol(obj)


def test_step_constructors_refuse_an_unknown_keyword_with_the_closest_one():
    import metalair as ma
    from metalair.errors import ProtocolError

    with pytest.raises(ProtocolError, match=r"Discharge: no keyword 'untill'; did you mean 'until'\? Discharge "
                                            r"takes current, until, capacity"):
        ma.Discharge("500 mA/g", untill=1.5)
    with pytest.raises(ProtocolError, match=r"Sweep: no keyword 'cycle'; did you mean 'cycles'"):
        ma.Sweep("1 mV/s", 1.5, 4.5, cycle=2)


def test_time_units_are_the_same_in_protocol_text_and_in_step_objects():
    """One unit table: 'mins', 'hrs', 'secs' work in Rest('30 mins') as in 'Rest for 30 mins'."""
    import metalair as ma

    for text, seconds in (("30 mins", 1800.0), ("2 hrs", 7200.0), ("5 secs", 5.0), ("1 second", 1.0),
                          ("1 minute", 60.0)):
        assert ma.Rest(text).duration == seconds
        assert ma.parse_protocol(f"Rest for {text}").steps[0].duration == seconds


def test_a_sweep_start_outside_its_window_is_refused():
    """'Sweep 2.0-3.0 V ... starting at 3.5 V' ran and ended at 3.5 V, above its own upper limit."""
    import metalair as ma
    from metalair.errors import ProtocolError

    with pytest.raises(ProtocolError, match=r"Sweep: start = 3.5 V lies outside the window 2-3 V"):
        ma.parse_protocol("Sweep 2.0-3.0 V at 1 mV/s starting at 3.5 V")
    with pytest.raises(ProtocolError, match=r"start = 5 V lies outside the window"):
        ma.Sweep("1 mV/s", 1.5, 4.5, start=5.0)


def test_a_decimal_comma_is_named_as_such():
    """'until 1,5 V' was read as two voltage limits ('the second is 5 V')."""
    import metalair as ma
    from metalair.errors import ProtocolError

    with pytest.raises(ProtocolError, match=r"'1,5' uses a comma as the decimal separator; write '1.5'"):
        ma.parse_protocol("Discharge at 100 mA/g until 1,5 V")


@pytest.mark.parametrize(("text", "message"), [
    # was "got '100' without a unit (unknown unit 'mA/cm')"
    ("Discharge at 100 mA/cm2 until 1.5 V", "unknown unit 'mA/cm': a current per electrode area; metalair takes "
                                            "currents per gram of catalyst"),
    # was "got '0.1 C', which is a temperature" and nothing more
    ("Discharge at 0.1 C until 1.5 V", "which is a temperature; a C-rate is not taken: give the current per gram"),
])
def test_an_areal_current_or_a_c_rate_is_named_for_what_it_is(text, message):
    with pytest.raises(ProtocolError) as info:
        parse_protocol(text)
    assert message in str(info.value)


def test_an_unreadable_quantity_gets_an_example_of_its_own_kind():
    from metalair.errors import ParameterError
    from metalair.units import parse_quantity

    for dimension, example in (("potential", "'1.5 V'"), ("specific capacity", "'1 mAh/g'"), (None, "'100 mA/g'")):
        with pytest.raises(ParameterError, match=f"e.g. {example}"):
            parse_quantity("abc", dimension)


@pytest.mark.parametrize("label", ["Repeat 3 times", "repeat", "3 times", "x3", "3x", "5 cycles"])
def test_a_repeat_instruction_written_as_a_label_is_refused(label):
    # 'Repeat 3 times: Discharge ...' gave one Discharge labelled 'Repeat 3 times': it ran once
    with pytest.raises(ProtocolError, match=r"reads as a label, not a repeat count.*\(Discharge at 100 mA/g until "
                                            r"1\.5 V\) x N"):
        parse_protocol(f"{label}: Discharge at 100 mA/g until 1.5 V")


@pytest.mark.parametrize("label", ["formation", "Cycle 3", "cycle A", "step 2x"])
def test_ordinary_labels_stay_labels(label):
    (step,) = parse_protocol(f"{label}: Discharge at 100 mA/g until 1.5 V").steps
    assert step.label == label


def test_an_unknown_dimension_is_named_with_the_close_one():
    from metalair.errors import ParameterError
    from metalair.units import parse_quantity

    with pytest.raises(ParameterError, match="unknown dimension 'specific curent'; did you mean 'specific current'"):
        parse_quantity("5 mA/g", "specific curent")
