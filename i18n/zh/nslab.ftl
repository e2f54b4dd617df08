# nslab 界面的简体中文消息。缺少的消息回落到英文（i18n/en/nslab.ftl）。
# 术语与 book/src/zh/glossary.md 一致；按键（[Enter]、[s]…）保持原样。

## 提示（src/ui/keys.rs）

keys-before-step = [Enter] 运行  [s] 跳过  [h] 提示  [b] 后退  [?] 更多按键  [q] 退出
keys-before-exercise = [Enter] 打开 shell  [s] 跳过  [h] 提示  [b] 后退  [?] 更多按键  [q] 退出
keys-after-failure = [r] 重试  [Enter] 继续  [h] 提示  [b] 后退  [?] 更多按键  [q] 退出
keys-after-failed-exercise = [r] 重试  [h] 提示  [v] 查看参考答案  [Enter] 继续  [?] 按键  [q] 退出
keys-interrupted = 已中断：[r] 重试  [s] 跳过  [q] 退出
keys-short-before-step = [Enter] 运行  [?] 按键
keys-short-before-exercise = [Enter] shell  [?] 按键
keys-short-after-failure = [r] 重试  [Enter] 继续  [?] 按键
keys-short-interrupted = [r] 重试 [s] 跳过 [q] 退出

help-enter-run = 运行这一步（练习：在实验环境里打开你的 shell）
help-enter-go-on = 继续下一步
help-retry = 再运行一次这一步
help-skip = 跳过这一步（之后若有步骤需要它，nslab 会说明并提议运行它）
help-hint = 显示提示；再按一次看下一条
help-back = 后退一步：实验环境重新开始，之前的步骤静默地重新运行
help-go-to = 按编号或 id 跳到某一步，或按 id 跳到另一课
help-list = 列出本课的步骤及每一步的结果
help-space = 阅读时：长文本的下一页
help-ctrl-c = 步骤运行中：停止它（然后重试、跳过或退出）；其他时候：离开 nslab（退出码 130）
help-quit = 到此为止；稍后运行 `nslab` 会从这里继续
help-keys = 这些按键
help-solution = 显示参考答案

## 终端界面（src/ui/face.rs）

go-to-question = 跳到第几步（1–{ $last }，或步骤 id），或哪一课（课程 id）：
go-to-nowhere = 本课没有步骤 { $answer }，也没有这个 id 的课；`l` 列出步骤，`nslab list` 列出课程
go-to-here = 就是这一步
back-at-first = 这是第一步：没有可以后退到的步骤
hint-label = 提示：
hint-none = （这一步没有提示）
hint-no-more = （没有更多提示了）
step-skipped = 第 { $number } 步已跳过：{ $why }
setup-ran = ✔ 已运行
setup-failed = ✘ 失败：
setup-step = 第 { $number } 步（{ $id }），为下一步做好准备
more-lines = 还有 { $count } 行
timed-out-stopped = 命令在 { $seconds } 秒后超时，已被停止
action-failed = 动作失败：
observed-label = 实际看到：
interrupted-label = ⏹ 已中断：
interrupted-step = 第 { $number } 步被 Ctrl-C 停止
stopped-at = 停在第 { $number } 步（共 { $total } 步）。再运行 `nslab` 会从这里继续。
resumed-at = ，第 { $number } 步（共 { $total } 步）：全新的实验环境；之前的步骤会静默地重新运行
lesson-started = （{ $id }，共 { $steps } 步）—— 在任何提示处按 ? 查看按键
lesson-cannot-run = { $id }：无法在这里运行：{ $reason }
replay-failed = 在前往 { $target } 的途中重放第 { $step } 步，没有通过：
back-to = 回到第 { $number } 步：全新的实验环境；之前的步骤会静默地重新运行
recorded = 在 { $path } 中记录了 { $count } 条输出预期
solution-label = 参考答案：
unmet = 第 { $number } 步（{ $title }）{ $why }。
unmet-offer = 按 Enter 先静默运行第 { $number } 步（{ $setup }），再运行这一步；按 s 这一步也跳过。
keys-unmet = [Enter] 先运行 { $setup }  [s] 跳过  [b] 后退  [q] 退出
next-lesson = 下一课：{ $title }（{ $id }）
keys-next-lesson = [Enter] 开始  [q] 到此为止

## 步骤卡片、步骤列表、小结（src/ui/card.rs）

kinds-list = { $rest } 和 { $last }
kinds-separator = 、
card-inside = ，在 { $owner } 的命名空间里
card-start-plain = 启动一个名为 { $name } 的进程{ $place }，不创建新的命名空间
card-start = 启动一个名为 { $name } 的进程，放进新的 { $kinds } 命名空间{ $place }；其他种类与实验环境共享
card-run-lab = 在实验环境里运行这条命令：
card-run-in = 在 { $name } 的命名空间里运行这条命令：
card-run-pinned = 在持久化于 { $pin } 的命名空间里运行这条命令：
card-unshare = 离开实验环境的 { $kinds } 命名空间，进入新的，然后运行：
card-pin = 把 { $name } 的 { $kind } 命名空间绑定挂载到 { $pin }，让它持久存在
card-unpin = 卸载并删除持久化挂载点 { $pin }
card-stop = 杀死 { $name } 并等它消失
card-lsns-all = 列出 nslab 能看到的所有命名空间
card-lsns = 列出 nslab 能看到的 { $kinds } 命名空间
card-your-turn = 轮到你了：这一步不会替你做任何准备
card-head = 第 { $number } 步，共 { $total } 步
card-goal = 轮到你了：{ $goal }
card-exercise = nslab 会在实验环境里打开一个 shell：用你自己的命令达成目标，在那里输入 `check`，然后退出 shell（exit）继续。
card-checks = 然后 nslab 检查：
card-stream-is = { $stream } 是
card-any-lines = （任意行）
list-steps = 共 { $count } 步
summary-head = { $title } —— 结束
minutes-seconds = { $minutes } 分 { $seconds } 秒
seconds = { $seconds } 秒
counts = 通过 { $passed }，失败 { $failed }，跳过 { $skipped }
counts-in = { $counts }，用时 { $time }
status-failed = 失败
status-skipped = 跳过
status-not-run = 未运行
summary-step = 第 { $number } 步（{ $id }）：{ $status }
summary-next = `nslab` 会继续下一课；`nslab list` 列出所有课程。
summary-again = `nslab` 会回到剩下的步骤；`nslab list` 列出每一课。

## 命名空间图（src/ui/picture.rs）

picture-your-shell = 你的 shell
picture-pin = 持久化 { $name }
picture-legend = 谁在哪个命名空间里：· 是实验环境自己的命名空间；A、B… 是其他命名空间，一个字母一个，同一个字母就是同一个命名空间；* 标出这一步改变了什么；持久化挂载不靠进程也能留住一个命名空间。
picture-unreadable = ? 无法读取
picture-gone = 已消失
picture-lab-own = 实验环境自己的命名空间（·）
picture-all-host = 全部是实验环境的（·）
picture-rest-host = ；其余是实验环境的

## `nslab run --yes` 的报告（src/run/report.rs）

report-lesson-started = （{ $id }，共 { $steps } 步）
report-replay-failed = 为到达 { $target } 重放第 { $step } 步，失败了
report-back-to = 回到 { $step }：全新的实验环境，之前的步骤已重放
report-skipped = 已跳过：{ $why }
more-bytes = 另有 { $count } 字节未保留
timed-out-killed = 命令在 { $seconds } 秒后超时，已被杀死
unknown-label = 无法判断：

## 用文字说明的预期（src/lesson/model.rs、output.rs），以及跳过的原因（src/run/event.rs）

ns-capture = 保存为 @{ $name } 的命名空间
ns-lab = 实验环境的 { $kind } 命名空间
ns-shell = 你的 shell 的 { $kind } 命名空间
ns-process = { $name } 的 { $kind } 命名空间
ns-pin = 持久化在 { $pin } 的 { $kind } 命名空间
ns-of = { $subject } 的命名空间
owner-lab = 实验环境的
owner-shell = 你的 shell 的
owner-process = { $name } 的
owner-capture = 保存为 @{ $name } 的那个
owner-pin = 持久化在 { $pin } 的那个
expect-changed = { $ns }改变了
expect-unchanged = { $ns }保持不变
expect-same-as = { $ns }与{ $other }相同
expect-differs-from = { $ns }与{ $other }不同
expect-in-lsns = lsns 列出了{ $ns }
expect-gone-from-lsns = { $ns }已从 lsns 中消失
expect-nprocs = { $ns }里有 { $count } 个进程
expect-pinned-at = { $ns }持久化在 { $pin }
expect-status = 命令的退出状态是 { $code }
expect-status-nonzero = 命令的退出状态不是 0
expect-output-empty = { $stream } 为空
expect-output-is = { $stream } 是 `{ $text }`
expect-output-lines-gaps = { $stream } 有上面列出的 { $count } 行，`...` 处可以是任意行
expect-output-lines = { $stream } 是上面列出的 { $count } 行
expect-output-contains = { $stream } 包含 `{ $text }`
expect-output-matches = { $stream } 匹配正则表达式 `{ $regex }`
skip-learner = 学习者跳过了这一步
skip-fail-fast = 未运行：前面有一步失败，且给了 --fail-fast
skip-needs-failed = 依赖 { $name }，而负责准备它的步骤（{ $step }）失败了
skip-needs-skipped = 依赖 { $name }，它由步骤 { $step } 准备，而 { $step } 被跳过了：请先运行 { $step }

## 判定里“实际看到的”（src/run/verify.rs）

seen-nothing = 没有（已消失，或从未创建）
seen-lab-unreadable = 无法读取实验环境的命名空间：{ $error }
seen-process-unreadable = 无法读取 { $name } 的命名空间：{ $error }
seen-pin-unreadable = 无法读取持久化挂载点 { $pin }：{ $error }
seen-no-listing = 没有做 lsns 列表
seen-scan-failed = 扫描 /proc 失败：{ $error }
seen-cannot-tell = 无法判断：{ $why }
seen-reused = { $ns } 前后都是 { $now }，但现在是另一个命名空间用了这个编号（它的序号变了）
seen-changed = { $ns } 之前是 { $was }，之后是 { $now }
seen-unchanged = { $ns } 前后都是 { $now }
seen-compared = { $ns } 是 { $mine }；{ $other } 的是 { $theirs }
seen-compared-capture = { $ns } 是 { $mine }；{ $other } 当时是 { $theirs }
seen-not-found-lookup = 找不到 { $ns }，所以无法查找
seen-listed = { $link } 在列表中，有 { $count } 个进程
seen-not-listed = { $link } 不在列表中
seen-not-found = 找不到 { $ns }
seen-holds = { $link } 里有 { $count } 个进程
seen-not-in-lsns = lsns 没有列出 { $ns }
seen-no-nsfs = { $link } 没有 nsfs 挂载
seen-mounted-at = { $link } 挂载在 { $paths }
seen-no-command = 没有运行命令
seen-timed-out = 命令在 { $seconds } 秒后超时
seen-no-status = 没有退出状态
seen-output-empty = { $stream } 为空
seen-output-was = { $stream } 是：

## 命令（src/cmd.rs、src/ui/mod.rs）

no-terminal = 没有可以提问的终端（输入或输出是管道或文件），所以不运行任何课程。
    {"  "}不经提问、一口气运行课程：  nslab run --yes [LESSON|DIR…]
    {"  "}加 --save-progress 把结果记为你的进度，加 --format json 输出 JSON Lines 事件。
all-finished = 你已完成所有课程。`nslab list` 列出它们；`nslab reset` 从头开始。
list-done = 完成
list-not-started = 未开始
list-partly = { $done }/{ $total } 步
list-next = 下一步：{ $step }
list-needs = 需要 { $needs }

## 分页（src/ui/screen.rs）

pager-more = 更多：按空格或 Enter

## 书中的步骤卡片（src/book.rs，`nslab mdbook`）；可以含 HTML，变量已转义

book-untranslated-title = 尚未翻译
book-untranslated = 这一课还没有中文版：请先阅读<a href="{ $link }">原文</a>。
book-minutes = 约 { $minutes } 分钟
book-runs-anywhere = 任何机器都能运行
book-needs = 需要 { $needs }
book-run-it = 用 { $command } 运行
book-file = nslab 会把这个文件放进运行目录，名为 { $name }：
book-new-ns = 新的 { $kinds } 命名空间
book-new-nss = 新的 { $kinds } 命名空间
book-no-new-ns = 不创建新的命名空间
book-inside = ，在 { $name } 的命名空间里
book-start = 启动进程 { $name }，放进{ $namespaces }{ $place }（clone）。手动做法：
book-run-lab = 在实验环境里运行：
book-run-in = 在 { $name } 的命名空间里运行（setns）：
book-run-pinned = 在持久化于 { $pin } 的命名空间里运行（setns）：
book-unshare = 进入{ $namespaces }（unshare），然后运行：
book-pin = 用绑定挂载把 { $name } 的 { $kind } 命名空间持久化在 { $pin }。手动做法：
book-unpin = 卸载持久化挂载点 { $pin }。手动做法：
book-stop = 停止 { $name }（杀死并回收）。手动做法：
book-your-turn = 轮到你了：用你自己的命令达成目标。
book-lsns-all = 列出所有命名空间：
book-lsns = 列出 { $kinds } 命名空间：
book-step-n = 第 { $number } 步
book-exercise-n = 练习 { $number }
book-probe = 你输入 <code>check</code> 时，nslab 会在你的 shell 的命名空间里运行：
book-the-lab = 实验环境
book-save = nslab 把 { $whose } 的 { $kind } 命名空间记为 { $capture }。
book-checks = 然后 nslab 检查：
book-stream-is = { $stream } 是：
book-picture-done = 完成后，实验环境应该是这样：
book-picture-after = 之后，实验环境应该是这样：
book-hint-n = 提示 { $number }
book-hint = 提示
book-solution = 参考答案
book-step-needs = 需要 { $programs }：没有安装时，nslab 会跳过这一步并说明原因。

## 书和实时页面里的命名空间图（src/picture.rs）

svg-expected = 预期
svg-seen = 实际
svg-label = 命名空间（{ $what }）：{ $rows } 行
svg-the-pin = 持久化挂载点 { $name }
svg-ns = { $kind } 命名空间 { $ino }
svg-ns-host = { $kind } 命名空间（实验环境的）
svg-ns-new = { $kind } 命名空间（新的）
svg-changed = ；这一步改变了它
svg-held = { $id }，由 { $held } 持有{ $changed }
svg-new = 新
svg-owned-by = 这个 { $kind } 命名空间属于这个 user 命名空间
svg-child-of = 这个 pid 命名空间是那个的父命名空间
svg-legend-expected = nslab 的预期 · 一种颜色 = 一个命名空间 · 描边：有变化
svg-legend-seen = 一种颜色 = 一个命名空间 · 描边：有变化 · 悬停：inode 号

## nslab doctor（src/doctor/）

cap-namespace = { $kind } 命名空间
cap-id-maps = uid/gid 映射
cap-mount-proc = 在 pid 命名空间里挂载 /proc
cap-nsfs-bind = nsfs 绑定挂载
cap-read-ns-links = 读取 /proc/PID/ns
cap-lab-userns = 实验环境：自己的用户命名空间
cap-lab-rootfs = 实验环境：自己的根文件系统
cap-lab-session = 实验环境：新会话，不带文件描述符
cap-lab-limits = 实验环境：资源限制
cap-lab-cgroup = 实验环境：自己的 cgroup
cap-in-userns = 用户命名空间里的{ $name }
way-as-root = root
way-rootless = 非 root
tools-nor = 、
tools-neither = { $names } 都没有安装
tools-not-installed = 没有安装 { $tools }
tools-why = 这一课要用 { $tools } 编译或运行程序，而{ $none }
tools-fix = 安装 C 编译器或 Python 3（Debian 和 Ubuntu：`sudo apt install gcc python3`）
lesson-needs-root = 需要 root
lesson-try-as-root = 运行 `sudo nslab doctor` 试试 root 的情况
lesson-needs-kernel = 需要 Linux { $min } 或更新，这里是 { $have }
lesson-check-fails = { $check } 失败：{ $why }
lesson-check-not-tried = 没有试 { $check }：{ $reason }
why-no-time-ns = 这个内核没有时间命名空间（Linux 5.6 才引入，CONFIG_TIME_NS）
fix-no-time-ns = 需要 Linux 5.6 或更新（CONFIG_TIME_NS）
why-no-kind = 这个内核没有 { $kind } 命名空间（{ $option } 没有打开）
fix-no-kind = 需要用 { $option }=y 编译的内核
why-userns-clone-off = 非特权用户命名空间被关掉了：kernel.unprivileged_userns_clone 为 0（Debian/Ubuntu 的设置）
why-apparmor = AppArmor 限制了非特权用户命名空间：kernel.apparmor_restrict_unprivileged_userns 为 1（Ubuntu 23.10 及以后）
why-max-userns-zero = 用户命名空间被关掉了：user.max_user_namespaces 为 0
why-too-many = 命名空间太多了：已达到上限 { $limit }{ $now }
why-now = （现在是 { $count }）
fix-systempaths = 用 --security-opt systempaths=unconfined 启动容器
why-proc-covered = /proc 的一部分被挂载盖住了（{ $covered }），所以内核拒绝在用户命名空间里挂载新的 /proc
why-no-cap-sys-admin = 这个 root 缺少 CAP_SYS_ADMIN，而创建命名空间需要它
fix-privileged-cap = 用 --privileged（或 --cap-add SYS_ADMIN）启动 { $runtime } 容器
fix-cap-sys-admin = 以带 CAP_SYS_ADMIN 的 root 运行 nslab
why-seccomp-filter = 它的 seccomp 过滤器
why-security-profile = 它的安全配置
why-container-forbids = { $runtime } 容器禁止创建命名空间（{ $filter }，或缺少能力）
fix-privileged-seccomp = 用 --privileged（或 --security-opt seccomp=unconfined）启动容器
why-not-procfs = /proc 不是 procfs（在容器或 WSL 里？）
fix-not-procfs = 在 /proc 是真正 procfs 的地方运行 nslab：宿主机或虚拟机里
doctor-unknown-kernel = 未知的内核
doctor-as-root-in-userns = 以用户命名空间里的 root 身份
doctor-as-root = 以 root 身份
doctor-as-user = 以非特权用户身份
doctor-in-container = ，在容器里（{ $runtime }：{ $evidence }）
doctor-settings = 设置
doctor-absent = 不存在
doctor-unknown = 未知
doctor-not-procfs = 不是 procfs
doctor-kinds = 命名空间种类
doctor-all-eight = 全部八种
doctor-only = 只有 { $kinds }
doctor-yes = 有
doctor-no = 没有
doctor-cannot = 不能
doctor-off = 关
doctor-works = 可用
doctor-fails = 失败
doctor-not-tried = 未尝试
doctor-none = 无
doctor-runs = 能运行
doctor-capability = 能力
doctor-lessons = 课程
doctor-as-root-not-tried = root 一栏：未尝试，{ $reason }。
doctor-rootless-as-root = 非 root 一栏是以 root 在用户命名空间里试的；以你自己的用户运行 `nslab doctor` 才是真正的非特权尝试。
doctor-why-and-fix = 原因与解决办法
doctor-error = 错误：
doctor-fix = 解决：
doctor-unexplained = 没有哪项设置能解释它
doctor-every-check = 每一项{ $way }检查
tool-needed-by = { $tool } —— 用于 { $steps }
tool-no-package = { $program }（用你的发行版的包管理器安装）
tools-lacking = 它需要这台机器没有的程序：{ $list }
tools-programs = 程序
tools-here = 本机
tools-present = 有
tools-missing = 缺少
tools-lessons = 课程
tools-install = 调用了缺失程序的课程会被跳过（退出码 3）。安装：
doctor-checks-why = { $checks }：{ $why }
doctor-check-error = { $check }（{ $way }）：{ $error }
doctor-check-way = { $check }（{ $way }）
doctor-lesson-reason = { $id }（{ $way }）：{ $reason }

## nslab check：译文（src/lesson/translation.rs）

tr-not-a-file-name = `translates: { $name }` 不是课程文件名
tr-not-a-file-name-help = 写原文的文件名，例如 `translates: 01-observe.md`
tr-named-otherwise = 这篇译文名为 { $own }，却翻译 { $name }
tr-named-otherwise-help = 译文与原文同名：把它改名为 { $name }
tr-original-missing = 原文 { $path } 不存在（{ $why }）
tr-original-missing-help = lessons/LANG/ 里的译文翻译的是 lessons/ 里同名的课程
tr-original-broken = 原文 { $path } 没有通过 `nslab check`（{ $count } 个错误）
tr-original-broken-help = 先修好原文
tr-original-translated = { $path } 本身就是译文
tr-original-translated-help = 请翻译原文课程
tr-id-differs = 课程 id `{ $id }` 与原文的 `{ $original }` 不同
tr-id-differs-help = 译文沿用原文的 id：`id: { $original }`
tr-needs-differ = `needs: { $needs }` 与原文的 `needs: { $original }` 不同
tr-needs-differ-help = 译文的需求与原文相同：`needs: { $original }`
tr-why-stale = 翻译之后，{ $path } 改过了
tr-why-match = 译文只改正文、标题、提示和目标；步骤必须与原文一致
tr-extra-step = 第 { $number } 步 `{ $id }` 不在原文里，原文只有 { $count } 步
tr-fewer-steps = 这篇译文有 { $mine } 步；原文有 { $count } 步
tr-fewer-steps-help = 翻译缺少的步骤：{ $steps }
tr-no-fingerprint = 译文需要 `source-steps:`，即翻译时原文步骤的指纹
tr-add-fingerprint = 步骤与 { $path } 一致：加上这一行 `source-steps: { $now }`
tr-match-then-add = 先让步骤与 { $path } 一致，再加上这一行 `source-steps: { $now }`
tr-bad-fingerprint = `{ $value }` 不是步骤指纹（16 位十六进制数）
tr-write-fingerprint = 步骤与 { $path } 一致：写成 `source-steps: { $now }`
tr-match-then-write = 先让步骤与 { $path } 一致，再写成 `source-steps: { $now }`
tr-matches-again = 步骤又与原文一致了：把指纹更新为 `source-steps: { $now }`
tr-bring-in-line = 让正文和步骤与 { $path } 一致（改动过的步骤都在这里列出），然后设为 `source-steps: { $now }`
tr-stale = 译文过时了：翻译之后 { $path } 的步骤改过了（当时的指纹是 { $then }，现在是 { $now }）
tr-step-head = 第 { $number } 步 `{ $id }`
tr-part = { $part ->
    [id] id
    [kind] 类别（步骤或练习）
    [action] 动作
    [saves] `save` 行
    [expectations] `expect:` 行
    [timeout] `timeout:`
    [stdin] `stdin:`
    [solution] `solution:`
    [creates] `creates:` 行
    [probe] `probe:`
    [files] 附带的文件（```nslab file 代码块）
   *[other] { $label }
}
tr-other-id = { $head }：原文的第 { $number } 步是 `{ $id }`
tr-give-id = { $why }；把它写成 `id: { $id }`（{ $quote }）
tr-an-exercise = 练习
tr-a-step = 步骤
tr-other-kind = { $head } 是{ $mine }；原文的是{ $theirs }
tr-why-quote = { $why }（{ $quote }）
tr-other-action = { $head }：动作 `{ $action }` 与原文的不同
tr-original-has = { $why }；原文是 { $quote }
tr-line-differs = { $head }：这一行与原文的不同
tr-line-extra = { $head }：原文的这一步没有这一行
tr-lacks = { $head } 缺少原文的一条{ $part }
tr-add = { $why }；加上 { $quote }
tr-part-differs = { $head }：它的{ $part }与原文的不同

## nslab check 的小结（src/lesson/author.rs、src/cmd.rs）

check-lessons = 检查了 { $count } 课：{ $ok } 课无误
check-translations = 检查了 { $count } 篇译文：{ $ok } 篇无误
check-with-errors = ，其中 { $failed } 个有 { $errors } 个错误
check-warnings = ，{ $count } 个警告
check-unchecked = { $count } 个路径无法检查
check-fair = { $count } 个练习：{ $fair } 个公平，{ $unfair } 个不公平

## 根据所见算出的提示，以及练习里的 `check`（src/run/exercise.rs）

probe-not-run = 探针没有运行：只有你在 shell 里运行 `check` 时，nslab 才会运行它
hint-shell-unseen = nslab 看不到你的 shell：请在 shell 运行期间在里面输入 `check`
hint-still-lab = 你的 shell 的 { $kind } 命名空间仍是实验环境的：unshare 有没有加 { $flag }？
hint-not-in = 你的 shell 不在 { $name } 的 { $kind } 命名空间里：{ $command } 可以加入它
hint-own-ns = 你的 shell 有自己的 { $kind } 命名空间：退出它（exit），或者不要 unshare { $kind }
hint-nothing-pinned = { $pin } 处没有持久化任何命名空间：`touch { $pin }; mount --bind /proc/PID/ns/KIND { $pin }` 可以在那里留住一个（在运行目录 $NSLAB_RUN_DIR 里）
exercise-all-holds = 全部成立。退出 shell（exit 或 Ctrl-D）继续。

## 课程为什么无法在这里运行（src/run/mod.rs）

cannot-needs-root = 它需要 root：请用 sudo 运行（它在非特权用户命名空间里无法工作）
cannot-needs-kernel = 它需要 Linux { $min } 或更新；这个内核是 { $release }
cannot-why-fix = { $why } —— 解决：{ $fix }
cannot-kinds = 它用到 { $kinds } 命名空间，但{ $why } —— 解决：{ $fix }
cannot-lab-why-fix = { $why } —— 解决：{ $fix }（`nslab doctor` 会说得更详细）
cannot-lab = { $error }（`nslab doctor` 会显示这台机器能做什么）
doctor-root-only = root 可以，但内核不让非特权用户这样做
doctor-no-cgroup = { $error }（需要 root，或在委派给这个用户的 cgroup 里）；改由 rlimit 分别限制实验环境的每个进程
doctor-absent-part = { $check }（{ $way }）：无：{ $reason }。

## nslab check：课程文件、前置元数据、代码块和附带文件（src/lesson/）

fm-missing = 缺少前置元数据
fm-missing-help = 课程以 `---` 开头，接着是 `id: …` 和 `title: …` 两行，再以 `---` 结束
fm-not-closed = 前置元数据没有结束
fm-not-closed-help = 用只有 `---` 的一行结束前置元数据
fm-expected-key = 应为 `键: 值`
fm-keys = 前置元数据的键有 id、title、needs、duration
fm-did-you-mean = 是不是想写 `{ $key }`？前置元数据的键有 id、title、needs、duration
fm-unknown-key = 未知的前置元数据键 `{ $key }`
fm-twice = `{ $key }` 写了两次
fm-bad-id = 无效的课程 id `{ $id }`
fm-bad-id-help = 课程 id 只能用 a-z、0-9 和 `-`，例如 `uts-basics`
fm-empty-title = 标题为空
fm-empty = `{ $key }` 为空
fm-bad-duration = 无效的时长 `{ $duration }`
fm-bad-duration-help = 用整数分钟写出预计时长，例如 `10 min`
fm-no-key = 前置元数据里没有 `{ $key }`
fm-no-key-help = 在两行 `---` 之间加一行 `{ $key }: …`
fm-steps-alone = 有 `source-steps` 却没有 `translates`
fm-steps-alone-help = 译文要写明原文：`translates: 01-observe.md`
fm-empty-need = `needs` 里有一项是空的
fm-unknown-need = 未知的需求 `{ $need }`
fm-needs-help = needs 是逗号分隔的列表：`root`、`userns`、`kernel 5.6`、程序（如 `cc or python3`，装有其中之一即可），或者只写 `nothing`
fm-nothing-combined = `nothing` 不能与其他需求一起写
block-file-unnamed = 文件代码块没有名字
block-file-unnamed-help = 写成 ```nslab file NAME，例如 ```nslab file uts.c
block-unknown-kind = 未知的代码块类别 `{ $kind }`
block-kinds-help = 步骤写 ```nslab，练习写 ```nslab exercise，文件写 ```nslab file NAME
block-extra-word = 代码块类别后面多了 `{ $word }`
file-unterminated = 文件代码块 `{ $name }` 没有结束：它一直延续到文件末尾
file-unterminated-help = 用只有 ``` 的一行结束它
file-name-is-path = 文件直接放进运行目录：给一个名字，不要给路径
file-name-chars = 用字母、数字、`.`、`_` 和 `-`，例如 `uts.c`
file-bad-name = 无效的文件名 `{ $name }`
file-reserved = `{ $name }` 是 nslab 在运行目录里自己用的名字
file-reserved-help = 给这个文件换个名字
file-twice = 第 { $line } 行已经附带了名为 `{ $name }` 的文件
file-twice-help = 一课里的每个文件各用一个名字
file-no-step = 文件 `{ $name }` 后面没有步骤
file-no-step-help = 文件会在它后面那一步之前放进运行目录：把它移到那一步之前
file-pin-clash = 持久化挂载点 `{ $name }` 与课程附带的文件同名
file-pin-clash-help = 持久化挂载点和文件共用运行目录：改掉其中一个的名字
lesson-too-big = 文件有 { $bytes } 字节；一课最多 { $max } 字节（10 MiB）
lesson-too-big-help = 把它拆成几课
lesson-binary = 这像是二进制文件：第 { $at } 字节是 NUL
lesson-binary-help = 课程是 UTF-8 编码的 Markdown 文本文件
lesson-not-utf8 = 第 { $at } 字节不是 UTF-8
lesson-not-utf8-help = 把课程存成 UTF-8 文本
lesson-empty = 文件是空的
lesson-empty-help = 一课需要前置元数据（`---`、`id: …`、`title: …`、`---`）和至少一个 ```nslab 步骤
lesson-no-steps = 这一课没有步骤
lesson-no-steps-help = 步骤是以 ```nslab 开头的围栏代码块，里面写一个动作和若干 `expect:` 行
lesson-unterminated = { $fence }nslab 围栏没有结束：它一直延续到文件或其所在容器的末尾
lesson-unterminated-help = 用只有 { $fence } 的一行结束这一步
lesson-incomplete-front = 前置元数据不完整
lesson-incomplete-front-help = 给它加上 `id:` 和 `title:` 两行

## nslab check：步骤里的行（src/lesson/step/mod.rs）

did-you-mean = 是不是想写 `{ $word }`？
step-bar-outside = `|` 行不在输出块里
step-bar-outside-help = `|` 行接在冒号后什么也没写的 `expect: stdout:`、`expect: stderr:` 或 `stdin:` 下面
step-twice = 这一步里 `{ $word }:` 写了两次
step-bad-id = 无效的步骤 id `{ $id }`
step-bad-id-help = 步骤 id 用 a-z、0-9、`-` 和 `_`，例如 `start-box`
step-bad-timeout = 无效的超时 `{ $timeout }`
step-bad-timeout-help = 写整数的秒或毫秒，例如 `5s` 或 `500ms`（最多 3600s）
step-exercise-only = `{ $word }:` 只能用在练习里
step-exercise-only-help = 用 ```nslab exercise 开始这个代码块
step-bad-pin = 无效的持久化挂载点名 `{ $name }`
step-bad-pin-help = 持久化挂载点是运行目录里的文件名：a-z、0-9、`-` 和 `_`
step-creates-usage = 应为 `creates: NAME KIND`
step-creates-usage-help = 例如 `creates: mynet net`：学习者把一个 net 命名空间持久化在 `mynet`
step-lines-help = 步骤里的行是一个动作（start、run、run in、unshare、pin、unpin、stop、lsns），或 `save`、`expect:`、`id:`、`title:`、`hint:`、`timeout:`、`stdin:`、`needs:`
step-unknown-line = 未知的步骤行 `{ $line }`
step-expected-output = 预期输出
step-needs-bars = 冒号后什么也没写的{ $what }需要下面跟着 `| ` 行
step-needs-bars-help = 把文字写在同一行，或写在下面以 `| ` 开头的行里
step-needs-value = `{ $word }:` 需要一个值
step-expected-word = 应为 `{ $word }: …`
step-expected-usage = 应为 `{ $usage }`
step-write-usage = 写成 `{ $usage }`
step-lab-not-process = `{ $name }` 在这里不是进程名
step-lab-not-process-help = `{ $name }` 指实验环境，即这一课自己的命名空间；给进程起别的名字，例如 `box`
step-bad-name = 无效的名字 `{ $name }`
step-bad-name-help = 名字以 a-z 开头，用 a-z、0-9、`-` 和 `_`
step-too-many-kinds = 列了 { $count } 种命名空间；一共只有八种
step-kinds-once = 种类有 cgroup、ipc、mnt、net、pid、time、user、uts，每种只列一次
step-kind-twice = `{ $kind }` 列了两次
step-kinds-commas = 种类之间用空格分开，不要用逗号：`uts net`
step-kind-did-you-mean = 是不是想写 `{ $kind }`？种类有 cgroup、ipc、mnt、net、pid、time、user、uts
step-kinds = 种类有 cgroup、ipc、mnt、net、pid、time、user、uts
step-unknown-kind = 未知的命名空间种类 `{ $kind }`
step-bad-capture = 无效的保存名 `{ $capture }`
step-bad-program = `needs:` 里的程序名 `{ $program }` 无效
step-bad-program-help = 写出这一步运行的程序，用逗号分开，例如 `needs: nft`
step-bad-capture-help = 保存名写作 `@name`，name 用 a-z、0-9、`-` 和 `_`

## nslab check：预期和动作（src/lesson/step/expectation.rs、action.rs）

ex-status-usage = 应为 `status N` 或 `status nonzero`
ex-status-usage-help = N 是 0 到 255 之间的退出状态
ex-incomplete = 关于 `{ $subject }` 的预期不完整
ex-incomplete-help = 说明是哪个命名空间、要检查它什么，例如 `{ $subject } net changed`
ex-incomplete-ns = 关于 { $ns } 的预期不完整
ex-which-ns = `{ $subject }` 的哪个命名空间？
ex-which-ns-help = 在 `{ $word }` 前写出种类，例如 `{ $subject } net { $word }`
ex-forms = 预期的写法有 `SUBJ KIND changed|same`、`SUBJ KIND same as|differs from OTHER`、`… in lsns`、`… gone from lsns`、`… nprocs N`、`… pinned at PIN`（`…` 是 `SUBJ KIND` 或 `@capture`）、`status N|nonzero`、`stdout: TEXT`、`stdout contains: TEXT`、`stdout matches: REGEX`（stderr 同理）
ex-unknown = 未知的预期 `{ $expectation }`
ex-compare-with = 与进程名、`lab` 或 `@capture` 比较
ex-not-a-count = `{ $count }` 不是进程数
pin-is-path = 持久化挂载点 `{ $pin }` 是一个路径
pin-is-path-help = 持久化挂载点放在运行目录里；给一个名字，不要给路径
ex-needs-text = `{ $stream } { $word }:` 需要文字
ex-regex-too-long = 正则表达式超过 { $max } 字节
ex-bad-regex = 无效的正则表达式：{ $reason }
ex-output-usage = 应为 `{ $stream }: TEXT`、`{ $stream } contains: TEXT` 或 `{ $stream } matches: REGEX`
ex-output-usage-help = 多行时写 `expect: { $stream }:`，再跟上 `| ` 行
act-run-usage = 应为 `run: COMMAND` 或 `run in NAME: COMMAND`
act-needs-kind = `{ $action }` 至少需要一种命名空间
act-pin-usage = 应为 `pin NAME KIND as PIN`
act-name-usage = 应为 `{ $action } NAME`
act-start-usage = 应为 `start NAME: KIND…`，冒号前只有一个名字
act-start-in-usage = 应为 `start NAME: KIND… in OTHER`，`in` 后只有一个名字
act-start-example = 例如 `start box: uts net`
act-lsns-usage = 应为 `lsns` 或 `lsns: -t KIND`
act-lsns-too-many = `lsns` 的选项太多
act-lsns-too-many-help = `lsns` 只接受 `-t KIND` 选项，每种最多一个
act-lsns-unexpected = `lsns` 里多了 `{ $word }`
act-lsns-options = `lsns` 只接受 `-t KIND` 选项，例如 `lsns: -t net -t uts`
act-empty-command = 命令为空
act-save-usage = 应为 `save NAME KIND as @capture`

## nslab check：名字、定义和步骤结构（src/lesson/check.rs）

noun-process = 进程
noun-pin = 持久化挂载点
noun-capture = 保存名
noun-error = 有错误的名字
noun-process-or-pin = 进程或持久化挂载点
gone-removed = 在练习 { $number } 结束时被移除
gone-unpinned = 在第 { $number } 步被卸载
gone-stopped = 在第 { $number } 步被停止
ck-no-probe = 练习里的退出状态和输出来自它的 `probe:`，而它没有 probe
ck-no-probe-help = 加一个 probe，即 nslab 在学习者 shell 的命名空间里运行的命令，例如 `probe: hostname` 配 `expect: stdout: lab`
ck-no-command = 只有运行了命令，才能检查退出状态和输出
ck-no-command-help = 这一步的动作是 `{ $action }`；要运行命令，用 `run`、`run in` 或 `unshare`
ck-stdin = `stdin:` 只用于运行命令的步骤
ck-action-is = 这一步的动作是 `{ $action }`
ck-defined-later = 它第一次定义在第 { $number } 步；步骤按文档顺序运行
ck-save-first = 先保存它，例如 `save box net as @{ $name }`
ck-pin-first = 先持久化一个命名空间，例如 `pin box net as { $name }`
ck-start-first = 先启动它，例如 `start { $name }: uts`
ck-undefined = `{ $name }` 在这里没有定义
ck-it-was = 它{ $why }
ck-no-action = 这一步没有动作
ck-no-action-help = 给它一个动作：start、run、run in、unshare、pin、unpin、stop、lsns
ck-second-action = 一步里有第二个动作（第一个是 `{ $first }`）
ck-second-action-help = 一步只做一件事；把它拆成两步
ck-no-expectation = 这一步没有预期
ck-no-expectation-help = 加一行 `expect:`，写明之后必须成立的事，例如 `expect: box net differs from host`
ck-exercise-lacks = 这个练习没有 `{ $key }:`
ck-from-title = 标题
ck-from-number = 步骤编号
ck-derived-id = 这个 id 是从{ $from }推出来的；给这一步写上自己的 `id:` 行
ck-unique-ids = 一课里的步骤 id 必须各不相同
ck-duplicate-id = 步骤 id `{ $id }` 重复（第 { $first } 步也用了它）
ck-wrong-sort = `{ $name }` 是{ $is }，不是{ $wanted }
ck-stop-first = 先用 `stop { $name }` 停止它，或者换个名字
ck-unpin-first = 先用 `unpin { $name }` 卸载它，或者换个名字
ck-other-capture-name = 给保存名换个名字
ck-defined-as = `{ $name }` 已经定义为{ $is }
ck-shell-outside = `shell` 是学习者的 shell，只在练习里存在
ck-shell-outside-help = 用 ```nslab exercise 开始这个代码块，或者写一个进程名
ck-capture-kind = @{ $name } 保存的是 { $captured } 命名空间，不能和 { $kind } 命名空间比较
ck-pin-kind = `{ $name }` 持久化的是 { $pinned } 命名空间，不是 { $kind } 命名空间
ck-pin-capture-kind = `{ $name }` 持久化的是 { $pinned } 命名空间，而 { $ns } 保存的是 { $kind } 命名空间
ck-never-changes = `{ $word }` 与这一步之前比较，但 { $subject } 是{ $what }，它从不改变
ck-never-changes-help = 改用 `same as` 或 `differs from` 比较，例如 `box net differs from { $subject }`
ck-starts-here = `{ $name }` 在这一步才启动，没有“之前”可比
ck-starts-here-help = 改为与 host 比较，例如 `{ $name } { $kind } differs from host`
hostile-kill = 这条命令会向它能碰到的每个进程发信号（kill -1）
hostile-kill-help = 只给一个进程发信号，例如 `kill $NSLAB_PID_BOX`
hostile-mount = 这条命令会在 `/` 上挂载
hostile-mount-help = 挂载到运行目录下面某处，例如 `$NSLAB_RUN_DIR/mnt`
hostile-umount = 这条命令会卸载 `/`
hostile-umount-help = 只卸载这一课挂载的东西
hostile-rm = 这条命令会删除整个文件系统
hostile-rm-help = 只删除这一课创建的东西
hostile-reboot = 这条命令会关闭或重启机器
hostile-reboot-help = 让机器继续运行
hostile-note = { $why } —— 只在实验环境里，那是个沙盒；在没有沙盒的机器上，受影响的就是机器本身
hostile-in = { $line }：{ $why }
check-no-lessons = 这个文件夹里没有课程（*.md 文件）
check-id-taken = 课程 id `{ $id }` 也被 { $path } 用了
check-id-taken-help = 课程 id 必须各不相同
lesson-unreadable = 无法读取文件：{ $error }
lesson-is-dir = 是一个目录，不是课程文件

## 没有完整界面时的简单提示（src/run/term.rs、src/run/face.rs）

plain-keys-exercise = [Enter] 打开 shell  [s] 跳过  [h] 提示  [q] 退出
plain-keys-step = [Enter] 运行  [s] 跳过  [h] 提示  [q] 退出
plain-keys-failed-exercise = [r] 再试一次  [h] 下一条提示  [v] 查看参考答案  [Enter] 继续  [q] 退出
plain-keys-failed = [r] 重试  [Enter] 继续  [h] 提示  [q] 退出
plain-keys-unmet = [Enter] 现在运行 { $setup }  [s] 跳过 { $step }  [q] 退出
reset-no-such = 没有 id 为 { $id } 的课程（`nslab list` 会列出它们）
reset-question = 忘掉你在每一课的进度？
reset-kept = 保留了你的进度
reset-no-terminal = 没有可以提问的终端；`nslab reset --yes` 会忘掉你在每一课的进度
reset-forgot = 忘掉了你在 { $id } 的进度
reset-nothing = { $id } 没有记录任何进度
reset-forgot-all = 忘掉了你在每一课的进度
confirm-keys = [y/N]
new-wrote-zh = 已写入 { $path }，它的中文译文 —— `nslab check` 会让两者的步骤保持一致
new-wrote = 已写入 { $path } —— 用 `nslab check { $path }` 检查，用 `nslab run { $path }` 运行
serve-live-at = 书已上线，地址 { $url }
serve-only-here = 只有这台机器、且只有带令牌才能访问；Ctrl-C 停止它并拆掉所有实验环境
catalog-no-such = 没有这个文件，也没有内置课程用这个 id（`nslab list` 会列出它们）
run-from-unknown = --from { $step }：这里没有哪一课有这个 id 的步骤
skip-program-package = 它要运行 `{ $name }`，而这里没有安装（Debian/Ubuntu：apt install { $deb }；Fedora：dnf install { $rpm }）
skip-program = 它要运行 `{ $name }`，而这里没有安装：装上它才能运行这一步
unfair-passes-anyway = 什么都不做也能通过：有一条预期无论学习者做什么都成立
unfair-solution-fails = 它的参考答案没有通过：{ $why }
