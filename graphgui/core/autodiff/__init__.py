"""Autodiff from every side: forward mode (tangents), the sum over paths, gradients as
graphs, and what each mode costs. Built on the engine's Program and the op registry."""
