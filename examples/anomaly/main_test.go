package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rowtime/rowtime/examples/internal/clitest"
)

func TestGolden(t *testing.T) {
	out, errOut, code := clitest.Run(t, run, "", "-n", "600")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	clitest.Golden(t, "n600.golden", out)
	if errOut != "anomaly: 600 records, 600 results, 0 undecodable, 0 late, 0 rejected\n" {
		t.Errorf("stderr: %s", errOut)
	}
	in, _, _ := clitest.Run(t, run, "", "-n", "600", "-gen")
	if fromIn, _, _ := clitest.Run(t, run, in, "-in", "-"); fromIn != out {
		t.Error("-in of the -gen output differs from the generated run")
	}
	// The first 256 scores are 0; after them every HIGH record scores above
	// every NORMAL one.
	minHigh, maxNormal := 1e9, 0.0
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, l := range lines {
		var r struct {
			HeartRate int     `json:"heartRate"`
			RateType  string  `json:"rateType"`
			Score     float64 `json:"ANOMALY_SCORE"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		switch {
		case i < 256 && r.Score != 0:
			t.Errorf("line %d: score %v during training", i+1, r.Score)
		case i >= 256 && r.RateType == "HIGH":
			minHigh = min(minHigh, r.Score)
		case i >= 256:
			maxNormal = max(maxNormal, r.Score)
		}
	}
	if !(minHigh > maxNormal) {
		t.Errorf("lowest HIGH score %v, highest NORMAL %v", minHigh, maxNormal)
	}
}

func TestGoldenExplain(t *testing.T) {
	out, errOut, code := clitest.Run(t, run, "", "-n", "400", "-explain", "-shingle", "2", "-sample", "100", "-trees", "50")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	clitest.Golden(t, "explain.golden", out)
	last := out[strings.LastIndex(strings.TrimSuffix(out, "\n"), "\n")+1:]
	var r struct {
		Score       float64 `json:"ANOMALY_SCORE"`
		Explanation string  `json:"ANOMALY_EXPLANATION"`
	}
	if err := json.Unmarshal([]byte(last), &r); err != nil {
		t.Fatal(err)
	}
	var e map[string]struct{ DIRECTION, STRENGTH, ATTRIBUTION_SCORE string }
	if err := json.Unmarshal([]byte(r.Explanation), &e); err != nil {
		t.Fatalf("%s: %v", r.Explanation, err)
	}
	if len(e) != 1 || e["heartRate"].DIRECTION == "" {
		t.Errorf("explanation %s", r.Explanation)
	}
}

func TestBadLines(t *testing.T) {
	in := strings.Join([]string{
		`{"t":"2024-01-01 00:00:00","a":1,"b":2,"name":"x"}`,
		`not json`,
		`[1,2]`,
		`{"t":"2024-01-01 00:00:01","a":1}`,
		`{"t":"2024-01-01 00:00:02","a":"one","b":2}`,
		`{"t":"yesterday","a":1,"b":2}`,
		`{"t":"2024-01-01 00:00:03","a":"NaN","b":2}`,
		`{"t":"2024-01-01 00:00:04","a":1e999,"b":2}`,
		``,
		`{"t":"2024-01-01 00:00:05","a":"3.5","b":2}`,
	}, "\n")
	out, errOut, code := clitest.Run(t, run, in, "-in", "-", "-time", "t", "-sample", "10", "-trees", "5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	clitest.Contains(t, "stderr", errOut,
		"anomaly: line 2: undecodable: not JSON",
		"anomaly: line 3: undecodable: not a JSON object",
		`anomaly: line 4: rejected: anomaly: invalid value: no field "b"`,
		`anomaly: line 5: rejected: anomaly: invalid value: field "a": "one" is not a number`,
		`anomaly: line 6: undecodable: field "t": "yesterday" is not`,
		"anomaly: line 7: rejected: anomaly: invalid value: column 0 is NaN",
		`anomaly: line 8: rejected: anomaly: invalid value: field "a": 1e999 is out of the range of float64`,
		"anomaly: 9 records, 2 results, 3 undecodable, 0 late, 4 rejected",
	)
	want := `{"t":"2024-01-01 00:00:00","a":1,"b":2,"name":"x","ANOMALY_SCORE":0}` + "\n" +
		`{"t":"2024-01-01 00:00:05","a":"3.5","b":2,"ANOMALY_SCORE":0}` + "\n"
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
}

func TestFields(t *testing.T) {
	in := `{"x":1,"y":5}` + "\n" + `{"x":2,"y":6}` + "\n"
	out, errOut, code := clitest.Run(t, run, in, "-in", "-", "-fields", "y", "-explain", "-sample", "10")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"ANOMALY_EXPLANATION":"{\"y\":{\"DIRECTION\":\"HIGH\",\"STRENGTH\":\"0.0000\",\"ATTRIBUTION_SCORE\":\"0.0000\"}}"`) {
		t.Errorf("stdout: %s", out)
	}
}

func TestExitStatus(t *testing.T) {
	clitest.ExitStatus(t, run, []clitest.Exit{
		{Name: "help", Args: []string{"-h"}, Code: 0},
		{Name: "trees 0", Args: []string{"-trees", "0", "-n", "1"}, Code: 2},
		{Name: "trees 1001", Args: []string{"-trees", "1001"}, Code: 2},
		{Name: "sample 5", Args: []string{"-sample", "5"}, Code: 2},
		{Name: "decay below sample", Args: []string{"-decay", "100"}, Code: 2},
		{Name: "shingle 31", Args: []string{"-shingle", "31"}, Code: 2},
		{Name: "31 fields", Args: []string{"-fields", strings.Repeat("a,", 30) + "a"}, Code: 2},
		{Name: "repeated field", Args: []string{"-fields", "a,a"}, Code: 2},
		{Name: "compare without svg", Args: []string{"-compare", "s"}, Code: 2},
		{Name: "missing file", Args: []string{"-in", filepath.Join(t.TempDir(), "none")}, Code: 1},
		{Name: "arguments", Args: []string{"extra"}, Code: 2},
	})
}

func TestSVG(t *testing.T) {
	dir := t.TempDir()
	in := ""
	for i := range 300 {
		in += `{"v":` + []string{"1", "2", "3", "50"}[min(i%97, 3)] + `,"kda":0.1}` + "\n"
	}
	name := filepath.Join(dir, "a.svg")
	_, errOut, code := clitest.Run(t, run, in, "-in", "-", "-fields", "v", "-sample", "50", "-svg", name, "-compare", "kda", "-compare-scale", "8")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Polylines []struct {
			ID     string `xml:"id,attr"`
			Points string `xml:"points,attr"`
		} `xml:"polyline"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	ids := map[string]int{}
	for _, p := range doc.Polylines {
		ids[p.ID] = len(strings.Fields(p.Points))
	}
	if ids["scores"] != 300 || ids["compared"] != 300 || ids[""] != 300 {
		t.Errorf("polylines %v, want 300 points each for the values, the scores and the compared scores", ids)
	}
	if !strings.Contains(string(data), "kda × 8") {
		t.Error("legend lacks the compared scores")
	}
}

// The picture in the README is the heart-rate workload's.
func TestCommittedSVG(t *testing.T) {
	name := filepath.Join(t.TempDir(), "heartrate.svg")
	if _, errOut, code := clitest.Run(t, run, "", "-n", "2000", "-svg", name); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	clitest.Golden(t, "../heartrate.svg", string(got))
}
