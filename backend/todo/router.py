"""HTTP for 待办."""

from fastapi import APIRouter

from backend.accounts.deps import CurrentUser
from backend.core.deps import SessionDep
from backend.todo import service
from backend.todo.schemas import Todo

router = APIRouter(prefix="/api/v1", tags=["todo"])


@router.get("/todo", response_model=Todo, operation_id="my_todo")
def my_todo(session: SessionDep, user: CurrentUser) -> Todo:
    """What waits for the caller's action, most urgent first, with counts per desk tile."""
    return service.todo(session=session, user=user)
