"""UI strings of the platform's shared pages, in zh-CN and English."""

CATALOG: dict[str, dict[str, str]] = {
    "site.title": {"zh-CN": "Sunbid 公共资源交易平台", "en": "Sunbid public-resource trading platform"},
    "site.tagline": {
        "zh-CN": "招标公告、电子投标、不见面开标、远程评标与全程监督",
        "en": "Tender notices, sealed online bids, remote openings, remote evaluation and full supervision",
    },
    "nav.home": {"zh-CN": "首页", "en": "Home"},
    "nav.notices": {"zh-CN": "交易公告", "en": "Notices"},
    "nav.api": {"zh-CN": "接口文档", "en": "API docs"},
    "nav.ledger": {"zh-CN": "监督账本", "en": "Supervision ledger"},
    "home.notices": {"zh-CN": "最新公告", "en": "Latest notices"},
    "home.no_notices": {"zh-CN": "暂无公告。", "en": "No notices yet."},
    "home.roles": {"zh-CN": "平台角色", "en": "Who uses Sunbid"},
    "role.bidder": {
        "zh-CN": "投标人：在线加密投标，远程解密",
        "en": "Bidders: seal and submit online, decrypt remotely",
    },
    "role.agency": {"zh-CN": "招标代理：发布招标，主持开标", "en": "Agencies: publish tenders, host openings"},
    "role.expert": {"zh-CN": "评标专家：远程评审打分", "en": "Experts: score bids remotely"},
    "role.regulator": {"zh-CN": "行政监督部门：全程审计", "en": "Regulators: audit the whole trail"},
    "role.public": {"zh-CN": "社会公众：查阅公告与公开数据", "en": "The public: read notices and open data"},
    "footer.lang": {"zh-CN": "English", "en": "中文"},
}
