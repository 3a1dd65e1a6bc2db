package snapcodec

import (
	"fmt"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
)

// SchemaFromWelcome rebuilds a game.Schema from the fields of a Welcome (kinds, input, params), so that a client can
// make a Codec without game-specific code. It rejects kinds and fields the engine could never have sent.
func SchemaFromWelcome(kinds []*proto.EntityKind, input []*proto.InputField, params map[string]int32) (*game.Schema, error) {
	s := &game.Schema{Kinds: make([]game.KindSpec, 0, len(kinds)), Params: make(map[string]int32, len(params))}
	for _, k := range kinds {
		if k.GetId() > 255 {
			return nil, fmt.Errorf("snapcodec: kind id %d above 255", k.GetId())
		}
		if len(k.GetFields()) > game.MaxFields {
			return nil, fmt.Errorf("snapcodec: kind %d has %d fields (max %d)", k.GetId(), len(k.GetFields()), game.MaxFields)
		}
		ks := game.KindSpec{ID: uint8(k.GetId()), Name: k.GetName(), Fields: make([]game.FieldSpec, len(k.GetFields())),
			Data: k.GetData()}
		for i, f := range k.GetFields() {
			if f.GetRateField() > uint32(len(k.GetFields())) {
				return nil, fmt.Errorf("snapcodec: kind %d field %q: rate field %d out of range", k.GetId(), f.GetName(), f.GetRateField())
			}
			ks.Fields[i] = game.FieldSpec{Name: f.GetName(), RateField: uint8(f.GetRateField())}
		}
		s.Kinds = append(s.Kinds, ks)
	}
	for _, in := range input {
		s.Input = append(s.Input, game.InputField{Name: in.GetName(), Min: in.GetMin(), Max: in.GetMax()})
	}
	for k, v := range params {
		s.Params[k] = v
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("snapcodec: %w", err)
	}
	return s, nil
}

// SchemaToWelcome is the inverse of SchemaFromWelcome: the kinds, input fields and params a Welcome carries.
func SchemaToWelcome(s *game.Schema) (kinds []*proto.EntityKind, input []*proto.InputField, params map[string]int32) {
	for _, k := range s.Kinds {
		pk := &proto.EntityKind{Id: uint32(k.ID), Name: k.Name, Data: k.Data}
		for _, f := range k.Fields {
			pk.Fields = append(pk.Fields, &proto.EntityField{Name: f.Name, RateField: uint32(f.RateField),
				Wrap: uint32(max(f.Wrap, 0)), Teleport: uint32(max(f.Teleport, 0))})
		}
		kinds = append(kinds, pk)
	}
	for _, in := range s.Input {
		input = append(input, &proto.InputField{Name: in.Name, Min: in.Min, Max: in.Max})
	}
	params = make(map[string]int32, len(s.Params))
	for k, v := range s.Params {
		params[k] = v
	}
	return kinds, input, params
}

// InputFillToWelcome is the Welcome.input_fill of a schema: what the room applies for a missed input.
func InputFillToWelcome(s *game.Schema) proto.InputFill {
	if s.Fill == game.FillNeutral {
		return proto.InputFill_INPUT_FILL_NEUTRAL
	}
	return proto.InputFill_INPUT_FILL_REPEAT
}
