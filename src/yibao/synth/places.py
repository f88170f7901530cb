"""Place and personal names for synthetic people: townships (乡镇/街道), surnames, given names.

Townships are the county's real 乡镇/街道 where we list them (彭水); for a city or province the
synthetic people live in its listed counties, named as such.
"""

from __future__ import annotations

from yibao.policy.regions import RegionRegistry

# 彭水苗族土家族自治县: 3 街道, 18 镇, 18 乡 (行政区划, 2023).
TOWNSHIPS: dict[str, tuple[str, ...]] = {
    "500243": (
        "汉葭街道", "绍庆街道", "靛水街道", "保家镇", "郁山镇", "高谷镇", "桑柘镇", "鹿角镇",
        "黄家镇", "普子镇", "龙射镇", "连湖镇", "万足镇", "平安镇", "长生镇", "新田镇", "鞍子镇",
        "太原镇", "龙溪镇", "梅子垭镇", "大同镇", "岩东乡", "鹿鸣乡", "棣棠乡", "三义乡",
        "联合乡", "石柳乡", "走马乡", "芦塘乡", "乔梓乡", "诸佛乡", "桐楼乡", "善感乡", "双龙乡",
        "石盘乡", "大垭乡", "润溪乡", "朗溪乡", "龙塘乡",
    ),
}  # fmt: skip

# Common surnames (with those frequent in 渝东南: 冉, 向, 任, 罗), and given-name characters.
SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤冉"
)
GIVEN = tuple(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红梅鑫斌宇浩凯健俊帆帅旭宁瑶婷雪"
    "琳晨欣怡涵子轩梓睿博文思雨佳豪一诺可馨乐安国建志海春燕秋云福贵"
)


def townships(region: str, registry: RegionRegistry) -> tuple[str, ...]:
    """Where the region's synthetic people live."""
    if region in TOWNSHIPS:
        return TOWNSHIPS[region]
    names: list[str] = []
    frontier = [region]
    while frontier:
        code = frontier.pop()
        children = registry.children(code)
        counties = [c for c in children if c.level == "county"]
        names.extend(c.name for c in counties)
        frontier.extend(c.code for c in children if c.level != "county")
    return tuple(names) or (f"{registry.get(region).name}城区",)
