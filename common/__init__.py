"""The ground floor: helpers every app may import, and which import no app of anesqc's."""
