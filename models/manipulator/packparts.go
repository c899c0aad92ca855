package manipulator

import (
	"fmt"
	"path/filepath"

	"github.com/nedstream/nedstream/models/basis"
	"github.com/nedstream/nedstream/models/pack"
)

// Upstream inputs and pack file of the expression basis.
const (
	// ICTDir is ICT-FaceKit's directory inside the upstream directory.
	ICTDir = "ict-facekit"
	// CanonicalOBJ is MediaPipe's canonical mesh inside the upstream directory.
	CanonicalOBJ = "canonical_face_model.obj"
	// BasisFile is the expression basis's file name in a pack.
	BasisFile = "expression_basis.bin"
)

// PackParts are the expression-editing parts of the default pack, for
// pack.BuildOptions.Parts: the expression basis (models/basis, from
// ICT-FaceKit and the canonical mesh) and the analytic manipulator models
// with the manifest's manipulator block.
func PackParts() []pack.Part {
	return []pack.Part{
		{Name: pack.RoleExpressionBasis, Build: buildBasisPart},
		{Name: "analytic manipulator", Build: func(_, out string, m *pack.Manifest) error { return AddAnalytic(out, m, DefaultT) }},
	}
}

// buildBasisPart transfers ICT-FaceKit's expression shapes onto the
// canonical mesh and records the expression_basis entry.
func buildBasisPart(from, out string, m *pack.Manifest) error {
	b, rep, err := basis.Build(filepath.Join(from, ICTDir), filepath.Join(from, CanonicalOBJ))
	if err != nil {
		return err
	}
	if err := b.WriteFile(filepath.Join(out, BasisFile)); err != nil {
		return err
	}
	err = pack.AddFile(out, m, pack.RoleExpressionBasis, pack.Entry{
		File: BasisFile, Kind: pack.KindBasis, License: "MIT AND Apache-2.0",
		Source: "built by nedpack (models/basis, docs/BASIS.md) from ICT-FaceKit's expression shapes (USC ICT, MIT) " +
			"transferred onto MediaPipe's canonical face mesh (Apache-2.0)",
	})
	if err != nil {
		return err
	}
	m.Notes = append(m.Notes, fmt.Sprintf("expression basis: inner-landmark fit residual mean %.3f cm, canonical vertex to ICT surface mean %.3f cm",
		rep.FitResidualMean, rep.SurfaceDistanceMean))
	return nil
}

// AddAnalytic writes the analytic models into the pack directory dir for
// window length t and records their entries and the manipulator block in m
// (trained = false, method = AnalyticMethod).
func AddAnalytic(dir string, m *pack.Manifest, t int) error {
	models, err := BuildAnalytic(dir, t)
	if err != nil {
		return err
	}
	for _, md := range models {
		err := pack.AddFile(dir, m, md.Role, pack.Entry{
			File: md.File, Kind: pack.KindONNX, Inputs: md.Inputs, Outputs: md.Outputs,
			License: "MIT",
			Source:  "analytic FACS-prototype model written by nedpack (models/manipulator, docs/MODELS.md); not trained",
		})
		if err != nil {
			return err
		}
	}
	info := AnalyticInfo(t)
	m.Manipulator = &pack.ManipulatorInfo{T: info.T, S: info.S, Classes: info.Classes, Trained: false, Method: info.Method}
	return nil
}
