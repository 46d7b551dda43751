"""Dev-only: build the deployable stack (`make package`) from app.py and statemachine.asl.json."""
