"""The Chinese names of the fields of the account forms and the login, so that a refusal names
the box on the screen that is wrong. Imported by the package: importing the domain registers
them."""

from backend.core.errors import register_labels

register_labels(
    {
        "phone": "手机号",
        "area_code": "所属地区",
        "username": "用户名",
        "password": "密码",
        "role": "角色",
        "full_name": "姓名",
    }
)
