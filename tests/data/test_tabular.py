"""Tables in (issue 16): CSV sniffing, DataFrames, TablePreprocessor, its place in model files."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import backprop as bp
from backprop.core.validation import ValidationError
from backprop.data.tabular import (
    Table,
    TablePreprocessor,
    TableWarning,
    looks_like_identifier,
    read_table,
    select_columns,
)
from backprop.io import ModelFileError, read_model

pd = pytest.importorskip("pandas")

MESSY = ("id;age;region;bmi;target\n"
         "1;30;east;20.5;100\n"
         "2;40;west;;140\n"
         "3;50;;30.0;170\n"
         "4;60;north;25.0;200\n"
         "5;35;east;22.0;120\n")


def _write(tmp_path, text, name="t.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# ------------------------------------------------------------------ reading CSV files
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_and_header_are_sniffed(tmp_path, delimiter):
    path = _write(tmp_path, MESSY.replace(";", delimiter))
    table = read_table(path)
    assert table.names == ["id", "age", "region", "bmi", "target"]
    assert table.n_rows == 5 and table.delimiter == delimiter and table.header
    np.testing.assert_array_equal(table.column("age"), [30, 40, 50, 60, 35])
    assert np.isnan(table.column("bmi")[1]) and table.column("region")[2] is None
    assert table.integer == [True, True, False, False, True]


def test_forced_delimiter_and_no_header(tmp_path):
    path = _write(tmp_path, "1;2,5;a\n3;4,5;b\n")
    table = read_table(path, delimiter=";")
    assert table.names == ["col0", "col1", "col2"] and not table.header
    assert table.column("col1").tolist() == ["2,5", "4,5"]  # a decimal comma is text, not a number


def test_utf8_with_bom_reads_and_latin1_is_refused_by_name(tmp_path):
    bom = _write(tmp_path, "\ufeffname,x\nä,1\nb,2\n", "bom.csv")
    assert read_table(bom).names == ["name", "x"]
    latin = _write(tmp_path, "name,x\nä,1\n", "latin.csv", encoding="latin-1")
    with pytest.raises(ValidationError, match=r"latin.csv.*is not UTF-8 text .*at byte 7\).*save it as UTF-8"):
        read_table(latin)


def test_ragged_rows_name_the_row(tmp_path):
    with pytest.raises(ValidationError, match=r"row 3 has 2 fields, expected 3"):
        read_table(_write(tmp_path, "a,b,c\n1,2,3\n4,5\n"))


def test_dataframe_and_csv_give_the_same_features(tmp_path):
    path = _write(tmp_path, MESSY)
    frame = pd.read_csv(path, sep=";")
    from_csv, from_frame = read_table(path), Table.from_dataframe(frame)
    columns = ["age", "region", "bmi"]
    a = TablePreprocessor().fit(from_csv, columns)
    b = TablePreprocessor().fit(from_frame, columns)
    assert a.get_config() == b.get_config()
    np.testing.assert_array_equal(a.transform(from_csv), b.transform(frame))


# ------------------------------------------------------------------ the preprocessor, by hand
def test_preprocessor_by_hand(tmp_path):
    table = read_table(_write(tmp_path, MESSY))
    pre = TablePreprocessor().fit(table, ["age", "region", "bmi"])
    # region: east, north, west (sorted) + missing; bmi: median of 20.5, 30, 25, 22 = 23.5 + indicator
    assert pre.feature_names_ == ["age", "region=east", "region=north", "region=west", "region=missing",
                                  "bmi", "bmi=missing"]
    X = pre.transform(table)
    expected = np.array([
        [30, 1, 0, 0, 0, 20.5, 0],
        [40, 0, 0, 1, 0, 23.5, 1],
        [50, 1, 0, 0, 1, 30.0, 0],  # missing region -> the most frequent ('east') + indicator
        [60, 0, 1, 0, 0, 25.0, 0],
        [35, 1, 0, 0, 0, 22.0, 0],
    ], dtype=float)
    np.testing.assert_array_equal(X, expected)
    assert pre.column_features() == {"age": [0], "region": [1, 2, 3, 4], "bmi": [5, 6]}
    assert "imputed: region (1 missing, most frequent 'east' + indicator), bmi (1 missing, median 23.5" in pre.summary_


@pytest.mark.parametrize("impute, fill", [("mean", (20.5 + 30 + 25 + 22) / 4), ("most_frequent", 20.5)])
def test_impute_options(tmp_path, impute, fill):
    pre = TablePreprocessor(impute, missing_indicator=False).fit(read_table(_write(tmp_path, MESSY)), ["bmi"])
    assert pre.feature_names_ == ["bmi"]
    assert pre.transform(pd.DataFrame({"bmi": [np.nan, 1.0]})).tolist() == [[fill], [1.0]]


def test_unseen_category_policy(tmp_path):
    pre = TablePreprocessor().fit(read_table(_write(tmp_path, MESSY)), ["region"])
    new = pd.DataFrame({"region": ["south", "west"], "extra": [1, 2]})
    with pytest.warns(TableWarning, match=r"column 'region': 1 rows hold values not seen in training \('south'\)"):
        X = pre.transform(new)
    np.testing.assert_array_equal(X, [[0, 0, 0, 0], [0, 0, 1, 0]])
    strict = TablePreprocessor(unknown="error").fit(read_table(_write(tmp_path, MESSY)), ["region"])
    with pytest.raises(ValidationError, match=r"column 'region' holds values not seen in training: \['south'\]"):
        strict.transform(new)


def test_columns_are_matched_by_name_and_a_missing_one_is_named(tmp_path):
    table = read_table(_write(tmp_path, MESSY))
    pre = TablePreprocessor().fit(table, ["age", "bmi"])
    shuffled = pd.DataFrame({"bmi": [20.0], "zzz": ["x"], "age": [33]})
    np.testing.assert_array_equal(pre.transform(shuffled), [[33, 20.0, 0]])
    with pytest.raises(ValidationError, match=r"the columns \['bmi'\] the model was trained on are missing"):
        pre.transform(pd.DataFrame({"age": [1]}))


def test_fit_uses_only_the_rows_given(tmp_path):
    table = read_table(_write(tmp_path, MESSY))
    pre = TablePreprocessor().fit(table.rows(np.array([0, 1])), ["bmi"])  # bmi 20.5 and missing
    assert pre.get_config()["columns"][0]["fill"] == 20.5


def test_select_columns_and_identifiers(tmp_path):
    rows = "\n".join(f"{1000 + i},{i % 3},{'abc'[i % 3]},{i}" for i in range(25))
    table = read_table(_write(tmp_path, "id,a,b,y\n" + rows + "\n"))
    assert select_columns(table, "y", drop="id") == ["a", "b"]
    assert select_columns(table, "y", features="0,2") == ["id", "b"]
    assert select_columns(table, "y", features=["a"], drop=[0]) == ["a"]
    with pytest.raises(ValidationError, match=r"drop: no column 'nope'"):
        select_columns(table, "y", drop="nope")
    assert looks_like_identifier(table, "id") and not looks_like_identifier(table, "a")


# ------------------------------------------------------------------ config: round trip and hostile edits
def _fitted(tmp_path):
    return TablePreprocessor().fit(read_table(_write(tmp_path, MESSY)), ["age", "region", "bmi"])


def test_config_round_trip(tmp_path):
    pre = _fitted(tmp_path)
    again = TablePreprocessor.from_config(json.loads(json.dumps(pre.get_config())))
    table = read_table(_write(tmp_path, MESSY))
    np.testing.assert_array_equal(again.transform(table), pre.transform(table))


@pytest.mark.parametrize("edit, field", [
    (lambda c: c["columns"][2].update(fill=float("inf")), r"columns\[2\]\.fill: expected a finite number"),
    (lambda c: c["columns"][2].update(fill="x"), r"columns\[2\]\.fill: expected a finite number"),
    (lambda c: c["columns"][1].update(fill="south"), r"columns\[1\]\.fill: expected one of the column's categories"),
    (lambda c: c["columns"][1].update(categories=["west", "east"]), r"columns\[1\]\.categories: expected distinct"),
    (lambda c: c["columns"][1].update(categories=[1, 2]), r"columns\[1\]\.categories: expected a list"),
    (lambda c: c["columns"][0].update(kind="date"), r"columns\[0\]\.kind: expected 'numeric' or 'categorical'"),
    (lambda c: c["columns"][0].update(indicator=1), r"columns\[0\]\.indicator: expected true or false"),
    (lambda c: c["columns"][0].update(name=""), r"columns\[0\]\.name: expected a non-empty string"),
    (lambda c: c["columns"][0].update(extra=1), r"columns\[0\]: expected the fields"),
    (lambda c: c.update(impute="max"), r"impute: expected one of"),
    (lambda c: c.update(unknown="ignore"), r"unknown: expected one of"),
    (lambda c: c.update(max_categories=0), r"max_categories: expected an integer"),
    (lambda c: c.update(columns=[]), r"columns: expected a list of 1 to"),
    (lambda c: c["columns"].append(dict(c["columns"][0])), r"columns\[3\]\.name: the column 'age' appears twice"),
])
def test_hand_edited_configs_fail_with_the_field_named(tmp_path, edit, field):
    config = json.loads(json.dumps(_fitted(tmp_path).get_config()))
    edit(config)
    with pytest.raises(ValidationError, match=r"preprocessing\." + field):
        TablePreprocessor.from_config(config)


def _rewrite_config(path, edit):
    """Rewrite a model file's JSON config (params unchanged, so its hash still matches)."""
    import io

    with np.load(path) as archive:
        config = json.loads(archive["config"].tobytes().decode())
        params = archive["params"]
    edit(config)
    members = {}
    for name, array in (("params.npy", params),
                        ("config.npy", np.frombuffer(json.dumps(config).encode(), dtype=np.uint8))):
        buffer = io.BytesIO()
        np.save(buffer, array)
        members[name] = buffer.getvalue()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)


def _model_with_preprocessing(tmp_path):
    pre = _fitted(tmp_path)
    net = bp.Network([pre.n_features_, 3, 1], ["tanh", "identity"], "mse", seed=0)
    net.preprocessor_ = pre
    path = tmp_path / "m.npz"
    net.save(path, feature_names=pre.feature_names_)
    return path, pre


def test_model_files_keep_the_preprocessing(tmp_path):
    path, pre = _model_with_preprocessing(tmp_path)
    model = read_model(path)
    assert model.preprocessor.get_config() == pre.get_config()
    frame = pd.read_csv(_write(tmp_path, MESSY), sep=";")
    loaded = bp.load(path)
    np.testing.assert_allclose(loaded.predict(frame), loaded.predict(pre.transform(frame)))


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["preprocessing"]["columns"][2].update(fill=float("nan")),
     r"config field 'preprocessing'\.columns\[2\]\.fill: expected a finite number"),
    (lambda c: c["preprocessing"]["columns"][1]["categories"].append("zzz"),
     r"config field 'preprocessing': gives 8 features, the network takes 7"),
    (lambda c: c["preprocessing"].update(impute=3), r"config field 'preprocessing'\.impute"),
    (lambda c: c.update(preprocessing=[1]), r"config field 'preprocessing'\.: expected a JSON object"),
])
def test_hand_edited_model_files_fail_with_the_field_named(tmp_path, edit, message):
    path, _ = _model_with_preprocessing(tmp_path)
    _rewrite_config(path, edit)
    with pytest.raises(ModelFileError, match=message):
        bp.load(path)


def test_saving_a_preprocessor_of_the_wrong_width_is_refused(tmp_path):
    pre = _fitted(tmp_path)
    net = bp.Network([3, 1], ["identity"], "mse", seed=0)
    with pytest.raises(ValidationError, match=r"gives 7 features, the network takes 3"):
        bp.save(net, tmp_path / "x.npz", preprocessing=pre)


def test_old_files_without_preprocessing_still_load(tmp_path):
    net = bp.Network([2, 1], ["sigmoid"], "binary_crossentropy", seed=0)
    net.save(tmp_path / "plain.npz")
    assert "preprocessing" not in bp.io.read_config(tmp_path / "plain.npz")
    assert read_model(tmp_path / "plain.npz").preprocessor is None
