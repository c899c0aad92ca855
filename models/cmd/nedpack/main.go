// Command nedpack builds and checks nedstream model packs.
//
//	nedpack build --from ../shared/models/upstream --out DIR   write a pack from the upstream files
//	nedpack check DIR                                          verify checksums, tensors and shapes
//	nedpack add-renderer DIR MODEL.onnx                        add the optional renderer model
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/pack"
)

const usage = `nedpack builds and checks nedstream model packs.

Usage:
  nedpack build --from DIR --out DIR [--name NAME]
        Copy the upstream model files (see ../shared/models/SOURCES.md for where
        to download them) into a new pack, build the expression basis (from
        ict-facekit/ and canonical_face_model.obj) and the analytic manipulator
        models, write the manifest, then check it.
  nedpack check DIR
        Verify every file's checksum and every model's tensor names and shapes.
  nedpack add-renderer DIR MODEL.onnx
        Copy a renderer model (the optional "renderer" role, docs/MODELS.md) into
        the pack, record it in the manifest, then check the pack. Editing then
        uses it instead of the warp.

Environment:
  ONNXRUNTIME_LIB   onnxruntime shared library used to check the models
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "nedpack:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch args[0] {
	case "build":
		fs := flag.NewFlagSet("build", flag.ContinueOnError)
		fs.SetOutput(stderr)
		from := fs.String("from", "", "directory with the upstream model files")
		out := fs.String("out", "", "pack directory to write")
		name := fs.String("name", "nedstream-default", "pack name recorded in the manifest")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err.Error()}
		}
		if *from == "" || *out == "" {
			return usageError{"build needs --from and --out"}
		}
		m, err := pack.Build(pack.BuildOptions{From: *from, Out: *out, Name: *name, Parts: manipulator.PackParts()})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote pack %q to %s (%d files)\n", m.Name, *out, len(m.Files))
		return check(*out, stdout)
	case "add-renderer":
		if len(args) != 3 {
			return usageError{"add-renderer needs a pack directory and a model file"}
		}
		if err := ort.Init(""); err != nil {
			return err
		}
		if err := pack.AddRenderer(args[1], args[2]); err != nil {
			return err
		}
		return check(args[1], stdout)
	case "check":
		if len(args) != 2 {
			return usageError{"check needs exactly one pack directory"}
		}
		return check(args[1], stdout)
	}
	return usageError{fmt.Sprintf("unknown command %q (want build, check or add-renderer; see nedpack --help)", args[0])}
}

func check(dir string, stdout io.Writer) error {
	p, err := pack.Load(dir)
	if err != nil {
		return err
	}
	if err := ort.Init(""); err != nil {
		return err
	}
	if err := p.CheckModels(); err != nil {
		return err
	}
	roles := make([]string, 0, len(p.Manifest.Files))
	for r := range p.Manifest.Files {
		roles = append(roles, r)
	}
	slices.Sort(roles)
	for _, r := range roles {
		e := p.Manifest.Files[r]
		fmt.Fprintf(stdout, "  %-16s %-44s %s  %s\n", r, e.File, e.SHA256[:12], e.License)
	}
	if mi := p.Manifest.Manipulator; mi != nil {
		kind := "analytic: " + mi.Method
		if mi.Trained {
			kind = "trained"
		}
		fmt.Fprintf(stdout, "  manipulator: T=%d S=%d classes=%s (%s)\n", mi.T, mi.S, strings.Join(mi.Classes, ","), kind)
	}
	fmt.Fprintf(stdout, "pack %s: OK (schema %d)\n", dir, p.Manifest.Schema)
	return nil
}
